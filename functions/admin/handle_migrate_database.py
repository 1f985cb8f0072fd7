"""Deploy-time step (a CDK Trigger in the Aurora stages): apply every pending migration, report the head.

A failure raises, which fails the trigger and so the deployment, instead of leaving code ahead of schema.
"""

from __future__ import annotations

from typing import Any

from speech_core.db.engine import default_database_url
from speech_core.db.migrations import current_revision, upgrade_to_head
from speech_core.observability import logger
from speech_core.settings import DatabaseSettings, declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(DatabaseSettings)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    url = default_database_url()
    before = current_revision(url)
    upgrade_to_head(url)
    after = current_revision(url)
    logger.info("database migrated", extra={"from_revision": before, "to_revision": after})
    return {"migrated": before != after, "fromRevision": before, "revision": after}
