"""The `prepare` step: the job's audio -> 16 kHz mono chunks cut at silences -> S3 and `job_chunks` rows.

Streams the input from S3 (ranged reads), so memory holds one block and at most one chunk (plus the VAD's
view of it), whatever the file's length. Chunk audio goes to `chunks/<tenant>/<job>/<index:05d>.wav` (PCM16)
as it is cut, the manifest and the rows when the whole file is done. Idempotent: a job whose chunk rows exist
(a retry, or a redelivered message after a finished prepare) answers from them without decoding again.
"""

from __future__ import annotations

import io
import json
import time
from typing import TYPE_CHECKING, Any

from speech_core.batch.deps import BatchDeps
from speech_core.batch.jobs_access import chunk_key, items_key, manifest_key, running_job
from speech_core.batch.messages import JOB_SAMPLE_RATE as BATCH_SAMPLE_RATE
from speech_core.batch.messages import ChunkItem, Prepared, StateInput, TaskMessage
from speech_core.batch.ports import WorkflowTasks
from speech_core.batch.task_worker import JobNotRunning, StepFailure
from speech_core.db.records import JobChunkRecord, JobRecord, JobState, NewJobChunk
from speech_core.errors import ErrorCode, RequestError
from speech_core.inference import Task
from speech_core.observability import logger, tracer

if TYPE_CHECKING:  # types only: numpy, soundfile and soxr load with the first audio (cold start)
    import numpy as np

    from speech_core.batch.chunking import PlannedChunk


class Heartbeat:
    """Tells the workflow the step is alive, at most every `interval_s`; a token the workflow dropped (the
    execution was stopped: a cancel) stops the work."""

    def __init__(self, tasks: WorkflowTasks, token: str, interval_s: float) -> None:
        self._tasks, self._token, self._interval = tasks, token, interval_s
        self._last = time.monotonic()

    def beat(self) -> None:
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._last = now
        try:
            self._tasks.heartbeat(self._token)
        except Exception as error:
            code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
            if code in {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}:
                raise JobNotRunning(f"the workflow stopped waiting ({code})") from error
            raise


def chunk_wav(samples: np.ndarray) -> bytes:
    """16 kHz mono PCM16 WAV."""
    import numpy as np  # cold start: loaded with the first audio
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.clip(samples, -1.0, 1.0), BATCH_SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def prepared_answer(deps: BatchDeps, job: JobRecord, bucket: str, rows: list[JobChunkRecord]) -> Prepared:
    """`$.prepared` for the job's chunk rows; writes the items file the Distributed Map reads (again on a reuse:
    the same content, so a retry finds it whichever Map runs)."""
    chunks = [ChunkItem(index=r.index, start_sample=r.start_sample, num_samples=r.num_samples) for r in rows]
    key = items_key(job)
    items = json.dumps([chunk.wire() for chunk in chunks], separators=(",", ":")).encode()
    deps.objects.put(bucket, key, items, "application/json")
    last = chunks[-1]
    inline = len(chunks) <= deps.settings.inline_map_max_chunks
    return Prepared(
        chunks=chunks if inline else None,
        chunk_count=len(chunks),
        items_key=key,
        total_samples=last.start_sample + last.num_samples,
    )


def speech_finder(deps: BatchDeps, job: JobRecord) -> Any:
    """Silero VAD on Triton over the samples the planner holds, as sample spans."""
    selection = deps.registry.select(Task.VAD, key=str(job.tenant_id))

    def find_speech(samples: np.ndarray) -> list[tuple[int, int]]:
        segments = deps.inference.detect_speech(selection, samples)
        return [(round(s.start * BATCH_SAMPLE_RATE), round(s.end * BATCH_SAMPLE_RATE)) for s in segments]

    return find_speech


@tracer.capture_method(capture_response=False)
def prepare_audio(message: TaskMessage, deps: BatchDeps) -> dict[str, Any]:
    """The step's work; its answer is `$.prepared`."""
    from speech_core.batch.audio_stream import AudioStream, BatchAudioLimits  # cold start: the audio stack
    from speech_core.batch.chunking import ChunkPlanner

    state = StateInput.model_validate(message.input)
    job = running_job(deps, state.job)
    bucket = deps.storage.audio_bucket
    if bucket is None:
        raise RuntimeError("AUDIO_BUCKET is not set for this function")
    existing = deps.chunks.list_chunks(job.id)
    if existing and job.audio_seconds_total is not None:
        logger.info("chunks exist: reused", extra={"chunks": len(existing)})
        return prepared_answer(deps, job, bucket, existing).wire()
    # the cheap refusal first: a language no ASR model serves fails the job before any audio is read
    deps.registry.select(Task.ASR, language=job.source_language or deps.settings.default_language)
    head = deps.objects.head(job.input_bucket, job.input_key)
    if head is None:
        raise StepFailure(ErrorCode.RESOURCE_NOT_FOUND.value, f"the job's audio {job.input_key} does not exist")
    settings = deps.settings
    limits = BatchAudioLimits(max_bytes=deps.limits.max_input_bytes, max_seconds=deps.limits.max_audio_seconds)
    heartbeat = Heartbeat(deps.tasks, message.task_token, settings.heartbeat_interval_s)
    stream = AudioStream(deps.objects.open(job.input_bucket, job.input_key, head.size), head.size, limits)
    planner = ChunkPlanner(round(settings.max_chunk_seconds * BATCH_SAMPLE_RATE), speech_finder(deps, job))
    rows: list[NewJobChunk] = []

    def store(chunk: PlannedChunk) -> None:
        key = chunk_key(job, chunk.index)
        deps.objects.put(bucket, key, chunk_wav(chunk.samples), "audio/wav")
        rows.append(
            NewJobChunk(
                index=chunk.index, start_sample=chunk.start_sample, num_samples=chunk.num_samples, object_key=key
            )
        )
        heartbeat.beat()

    for block in stream.blocks():
        for chunk in planner.feed(block):
            store(chunk)
        heartbeat.beat()
    for chunk in planner.finish():
        store(chunk)
    total = planner.samples_seen
    manifest = {
        "jobId": str(job.id),
        "sampleRate": BATCH_SAMPLE_RATE,
        "totalSamples": total,
        "chunks": [
            {"index": r.index, "startSample": r.start_sample, "numSamples": r.num_samples, "key": r.object_key}
            for r in rows
        ],
    }
    deps.objects.put(bucket, manifest_key(job), json.dumps(manifest).encode(), "application/json")
    if deps.jobs.get(job.tenant_id, job.id) is None:
        raise JobNotRunning(f"job {job.id} was deleted")
    stored = deps.chunks.put_chunks(job.id, rows)
    try:
        deps.jobs.transition(job.id, JobState.RUNNING, audio_seconds_total=total / BATCH_SAMPLE_RATE)
    except RequestError as error:
        raise JobNotRunning(error.message) from error
    logger.info("prepared", extra={"chunks": len(stored), "audio_seconds": round(total / BATCH_SAMPLE_RATE, 3)})
    return prepared_answer(deps, job, bucket, stored).wire()
