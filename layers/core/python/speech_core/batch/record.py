"""The `record-succeeded` / `record-failed` steps: the job row final, then its notifications.

A job already final (cancelled while its execution ran) keeps its state: nothing is overwritten. The error a
Catch hands over becomes the job's code and message: a step's own code where it sent one (`audio.corrupt`,
`language.unsupported`, ...), `job.chunk_failed` with the cause naming the chunk, `job.timed_out` when a
step ran past its time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from speech_core.batch.deps import BatchDeps
from speech_core.batch.messages import StateInput, StepError, TaskMessage
from speech_core.batch.task_worker import JOB_NOT_RUNNING
from speech_core.batch.transcribe import CHUNK_FAILED
from speech_core.db.records import JobRecord, JobState
from speech_core.errors import ErrorCode, RequestError
from speech_core.observability import logger, tracer

RECORD_SUCCEEDED = "record-succeeded"
RECORD_FAILED = "record-failed"
CHUNK_FAILED_CODE = "job.chunk_failed"
TIMED_OUT_CODE = "job.timed_out"
_TIMEOUTS = {"States.Timeout", "States.HeartbeatTimeout"}

#: what tells the world about a job's new state (`speech_core.notify` in the functions; a fake in tests)
Notifier = Callable[[JobRecord], None]


def failure_of(error: StepError | None) -> tuple[str, str]:
    """The job's (error code, message) for the error the workflow caught."""
    if error is None:
        return ErrorCode.INTERNAL.value, "the job failed without a reported cause"
    cause = error.Cause or error.Error
    if error.Error == CHUNK_FAILED:
        return CHUNK_FAILED_CODE, cause
    if error.Error in _TIMEOUTS:
        return TIMED_OUT_CODE, f"a step of the job ran past its time limit ({error.Error})"
    if "." in error.Error and not error.Error.startswith("States."):
        return error.Error, cause  # a platform code a step sent, e.g. audio.corrupt
    return ErrorCode.INTERNAL.value, f"{error.Error}: {cause}"


@tracer.capture_method(capture_response=False)
def record_job_status(message: TaskMessage, deps: BatchDeps, notify: Notifier) -> dict[str, Any]:
    """The step's work; its answer is `{"state": <the job's state now>}`."""
    state = StateInput.model_validate(message.input)
    ref = state.job
    logger.append_keys(tenant_id=str(ref.tenant_id), job_id=str(ref.job_id))
    job = deps.jobs.get(ref.tenant_id, ref.job_id)
    if job is None:
        logger.info("job deleted: nothing to record")
        return {"state": "deleted"}
    if job.attempt != ref.attempt:
        logger.info("a later attempt owns the job: nothing recorded", extra={"attempt": job.attempt})
        return {"state": job.state.value}
    try:
        if message.step == RECORD_SUCCEEDED:
            assembled = state.assembled
            if assembled is None:
                raise ValueError("record-succeeded needs $.assembled")
            job = deps.jobs.transition(
                job.id,
                JobState.SUCCEEDED,
                billed_audio_seconds=assembled.audio_seconds,
                outputs=assembled.outputs,
            )
        else:
            if state.error is not None and state.error.Error == JOB_NOT_RUNNING and job.state.is_final:
                return {"state": job.state.value}
            code, text = failure_of(state.error)
            job = deps.jobs.transition(job.id, JobState.FAILED, error_code=code[:64], error_message=text)
    except RequestError as error:
        if error.code is not ErrorCode.JOB_ALREADY_FINISHED:
            raise
        logger.info("job already final: kept", extra={"state": job.state.value})
        return {"state": job.state.value}
    logger.info("job recorded", extra={"state": job.state.value, "error_code": job.error_code})
    notify(job)
    return {"state": job.state.value}
