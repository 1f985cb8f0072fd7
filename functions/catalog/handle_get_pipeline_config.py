"""POST /ulca/apis/v0/model/getModelsPipeline (and /v1/): ULCA config discovery from the model registry."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.ulca import router
from speech_core.api.snapshot import register_snapshot_hooks
from speech_core.settings import RegistrySettings, declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(RegistrySettings)
handler = http_entry(router)
register_snapshot_hooks(ENVIRONMENT)  # SnapStart: warm before the snapshot, renew after a restore
