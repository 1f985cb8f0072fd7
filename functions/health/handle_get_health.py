"""GET /v1/health, no key: is the database reachable, is Triton ready? 200 when both are, else 503."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.health import router
from speech_core.api.snapshot import register_snapshot_hooks
from speech_core.settings import DatabaseSettings, InferenceSettings, declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(DatabaseSettings, InferenceSettings)
handler = http_entry(router)
register_snapshot_hooks(ENVIRONMENT)  # SnapStart: warm before the snapshot, renew after a restore
