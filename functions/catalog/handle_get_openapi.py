"""GET /v1/openapi.json and /v1/asyncapi.json: the REST and streaming API documents, generated from the models."""

from speech_core.api.http_app import http_entry
from speech_core.api.openapi import router
from speech_core.api.snapshot import register_snapshot_hooks
from speech_core.settings import declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment()
handler = http_entry(router)
register_snapshot_hooks(ENVIRONMENT)  # SnapStart: warm before the snapshot, renew after a restore
