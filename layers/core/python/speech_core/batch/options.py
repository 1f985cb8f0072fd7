"""A job's options as the steps read them: the stored `JobOptions` (contracts.jobs), or the defaults."""

from __future__ import annotations

from pydantic import ValidationError

from speech_core.contracts.jobs import JobConfig, JobOptions
from speech_core.contracts.task_configs import LanguageSpec
from speech_core.db.records import JobRecord
from speech_core.observability import logger


def default_options(language: str) -> JobOptions:
    """What an S3-dropped file gets: every output format, the default subtitle rules, no webhook."""
    return JobOptions(config=JobConfig(language=LanguageSpec(source_language=language)))


def job_options(job: JobRecord, default_language: str) -> JobOptions:
    try:
        return JobOptions.model_validate(job.options)
    except ValidationError:
        logger.warning("job options unreadable: defaults used", extra={"job_id": str(job.id)})
        return default_options(job.source_language or default_language)
