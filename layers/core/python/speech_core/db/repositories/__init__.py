"""SQL implementations of the ports in `speech_core.db.ports`, and `Repositories`, their one factory."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from speech_core.db.engine import get_sessions
from speech_core.db.repositories.api_keys import SqlApiKeyRepository
from speech_core.db.repositories.connections import SqlConnectionRepository
from speech_core.db.repositories.job_chunks import SqlJobChunkRepository
from speech_core.db.repositories.jobs import SqlJobRepository
from speech_core.db.repositories.request_log import SqlRequestLogRepository
from speech_core.db.repositories.results import SqlResultRepository
from speech_core.db.repositories.tenants import SqlTenantRepository
from speech_core.db.repositories.usage import SqlUsageRepository
from speech_core.db.repositories.webhook_deliveries import SqlWebhookDeliveryRepository


@dataclass(frozen=True)
class Repositories:
    tenants: SqlTenantRepository
    api_keys: SqlApiKeyRepository
    request_log: SqlRequestLogRepository
    usage: SqlUsageRepository
    jobs: SqlJobRepository
    results: SqlResultRepository
    connections: SqlConnectionRepository
    job_chunks: SqlJobChunkRepository
    webhook_deliveries: SqlWebhookDeliveryRepository


@lru_cache(maxsize=8)
def get_repositories(database_url: str) -> Repositories:
    """All repositories over one cached engine for `database_url`."""
    sessions = get_sessions(database_url)
    return Repositories(
        tenants=SqlTenantRepository(sessions),
        api_keys=SqlApiKeyRepository(sessions),
        request_log=SqlRequestLogRepository(sessions),
        usage=SqlUsageRepository(sessions),
        jobs=SqlJobRepository(sessions),
        results=SqlResultRepository(sessions),
        connections=SqlConnectionRepository(sessions),
        job_chunks=SqlJobChunkRepository(sessions),
        webhook_deliveries=SqlWebhookDeliveryRepository(sessions),
    )
