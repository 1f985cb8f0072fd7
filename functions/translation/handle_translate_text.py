"""POST /v1/nmt (public path) and /services/inference/translation: sync translation."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.translation import router
from speech_core.api.snapshot import register_snapshot_hooks
from speech_core.settings import INFERENCE_ROUTE_SETTINGS, declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(*INFERENCE_ROUTE_SETTINGS)
handler = http_entry(router)
register_snapshot_hooks(ENVIRONMENT)  # SnapStart: warm before the snapshot, renew after a restore
