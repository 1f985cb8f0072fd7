"""POST /v1/asr and /services/inference/asr: sync speech recognition."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.asr import router
from speech_core.api.snapshot import register_snapshot_hooks
from speech_core.settings import INFERENCE_ROUTE_SETTINGS, AudioLinkSettings, declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(*INFERENCE_ROUTE_SETTINGS, AudioLinkSettings)  # audioUri https links
handler = http_entry(router)
register_snapshot_hooks(ENVIRONMENT)  # SnapStart: warm before the snapshot, renew after a restore
