"""The record step's notifier: `speech_core.notify` (EventBridge event, then the job's signed webhook)."""

from __future__ import annotations

from speech_core.db.records import JobRecord
from speech_core.observability import logger
from speech_core.settings import NotifySettings, read_settings


def notify_job_change(job: JobRecord) -> None:
    """Publish the job's new state and deliver its webhook (failures of the receiver are recorded, not raised;
    a refused EventBridge event raises, so the step is retried)."""
    from speech_core.db.engine import default_database_url  # cold start: loaded by the record step already
    from speech_core.db.repositories import get_repositories
    from speech_core.notify import get_events_client, notify_job

    repositories = get_repositories(default_database_url())
    outcome = notify_job(
        job,
        settings=read_settings(NotifySettings),
        events=get_events_client(),
        deliveries=repositories.webhook_deliveries,
    )
    logger.info(
        "job notified",
        extra={"event": outcome.event_published, "webhook": outcome.webhook.model_dump() if outcome.webhook else None},
    )
