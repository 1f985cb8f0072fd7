"""Start: a job-start message -> the job's Step Functions execution for this attempt, and the job running.

The execution is named `<job>-a<attempt>`: a redelivered or repeated start of the same attempt finds it
(ExecutionAlreadyExists) instead of making another. A message for a job that is gone, final or on another
attempt is acknowledged and logged.
"""

from __future__ import annotations

from speech_core.batch.deps import BatchDeps
from speech_core.contracts.jobs import JobExecutionInput
from speech_core.db.records import JobRecord, JobState
from speech_core.errors import ErrorCode, RequestError
from speech_core.observability import logger, tracer


@tracer.capture_method(capture_response=False)
def start_job(body: str, deps: BatchDeps) -> JobRecord | None:
    """The job, now running its execution; None when there was nothing to start."""
    message = JobExecutionInput.model_validate_json(body)
    ref = message.job
    logger.append_keys(tenant_id=str(ref.tenant_id), job_id=str(ref.job_id))
    job = deps.jobs.get(ref.tenant_id, ref.job_id)
    if job is None or job.attempt != ref.attempt or job.state not in (JobState.QUEUED, JobState.RUNNING):
        logger.info(
            "nothing to start",
            extra={"state": job.state.value if job else "deleted", "attempt": job.attempt if job else None},
        )
        return None
    arn = deps.starter.start(ref.execution_name, message.to_wire())
    try:
        job = deps.jobs.transition(job.id, JobState.RUNNING, execution_arn=arn)
    except RequestError as error:
        if error.code is not ErrorCode.JOB_ALREADY_FINISHED:
            raise
        logger.info("job finished before it started (cancelled): its execution ends at its first step")
        return None
    logger.info("job started", extra={"execution": ref.execution_name})
    return job
