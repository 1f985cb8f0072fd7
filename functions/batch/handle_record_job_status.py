"""Workflow steps `record-succeeded` / `record-failed` (job-status queue): the job row final, then notify."""

from speech_core.batch.notifications import notify_job_change
from speech_core.batch.record import record_job_status
from speech_core.batch.settings import ConsumerSettings
from speech_core.batch.sqs_entry import task_entry
from speech_core.settings import DatabaseSettings, NotifySettings, declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(DatabaseSettings, NotifySettings, ConsumerSettings)
handler = task_entry(lambda message, delivery, deps: record_job_status(message, deps, notify_job_change))
