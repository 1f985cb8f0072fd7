"""POST /v1/jobs/{jobId}/retry: a failed or cancelled job queued again as its next attempt."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.jobs import router
from speech_core.api.snapshot import register_snapshot_hooks
from speech_core.settings import (
    DatabaseSettings,
    JobQueueSettings,
    RegistrySettings,
    StorageSettings,
    declare_environment,
)

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(DatabaseSettings, RegistrySettings, StorageSettings, JobQueueSettings)
handler = http_entry(router)
register_snapshot_hooks(ENVIRONMENT)  # SnapStart: warm before the snapshot, renew after a restore
