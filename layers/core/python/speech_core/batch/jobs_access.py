"""How every step finds its job: only a running job of the message's attempt is worked on."""

from __future__ import annotations

from speech_core.batch.deps import BatchDeps
from speech_core.batch.task_worker import JobNotRunning
from speech_core.contracts.jobs import JobRef
from speech_core.db.records import JobRecord, JobState
from speech_core.observability import logger


def running_job(deps: BatchDeps, ref: JobRef) -> JobRecord:
    """The job, when it is running this attempt; else JobNotRunning (cancelled, deleted, or a stale attempt)."""
    logger.append_keys(tenant_id=str(ref.tenant_id), job_id=str(ref.job_id))
    job = deps.jobs.get(ref.tenant_id, ref.job_id)
    if job is None:
        raise JobNotRunning(f"job {ref.job_id} does not exist")
    if job.state is not JobState.RUNNING:
        raise JobNotRunning(f"job {ref.job_id} is {job.state.value}")
    if job.attempt != ref.attempt:
        raise JobNotRunning(f"job {ref.job_id} is on attempt {job.attempt}, this message is for {ref.attempt}")
    return job


def chunk_key(job: JobRecord, index: int) -> str:
    """chunks/<tenant>/<job>/<index:05d>.wav in the audio bucket."""
    return f"chunks/{job.tenant_id}/{job.id}/{index:05d}.wav"


def manifest_key(job: JobRecord) -> str:
    return f"chunks/{job.tenant_id}/{job.id}/manifest.json"


def items_key(job: JobRecord) -> str:
    """chunks/<tenant>/<job>/items.json in the audio bucket: the chunk items as a JSON array (the Distributed
    Map's ItemReader reads it)."""
    return f"chunks/{job.tenant_id}/{job.id}/items.json"


def result_key(job: JobRecord, extension: str) -> str:
    """results/<tenant>/<job>/transcript.<format> in the results bucket."""
    return f"results/{job.tenant_id}/{job.id}/transcript.{extension}"
