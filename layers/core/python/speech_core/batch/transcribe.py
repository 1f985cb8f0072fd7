"""The `transcribe-chunk` step (GPU work queue): one chunk through Triton ASR, idempotent on (job, chunk).

A chunk already `done` answers at once (a redelivery, or a retry of the job that keeps finished chunks). The
transcript and word times (relative to the chunk) go to the chunk's row, with the job's progress, in one
transaction that writes nothing for a job that is not running. Transient Triton errors are left to SQS
redelivery; a permanent one, or the last attempt, marks the chunk failed and fails the task with
`ChunkFailed` naming the chunk.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from speech_core.batch.deps import BatchDeps
from speech_core.batch.jobs_access import running_job
from speech_core.batch.messages import ChunkAnswer, ChunkInput, TaskMessage
from speech_core.batch.task_worker import Delivery, JobNotRunning, StepFailure, is_transient
from speech_core.db.records import ChunkState, ChunkWord, JobChunkRecord
from speech_core.errors import AudioError, ErrorCode, SpeechError
from speech_core.inference import Task
from speech_core.observability import logger, tracer

if TYPE_CHECKING:  # types only: numpy and soundfile load with the first chunk (cold start)
    import numpy as np

#: the step's SendTaskFailure error when a chunk cannot be transcribed
CHUNK_FAILED = "ChunkFailed"
#: a 60 s chunk of PCM16 is under 2 MB; anything far larger is not a chunk prepare wrote
_MAX_CHUNK_BYTES = 16 * 1024 * 1024


def chunk_failure(row: JobChunkRecord, code: str, message: str) -> StepFailure:
    """`ChunkFailed` with a cause naming the chunk: `chunk <i> at <start>s: <code>: <message>`."""
    return StepFailure(CHUNK_FAILED, f"chunk {row.index} at {row.start_sample / 16000:.3f}s: {code}: {message}")


def _samples(data: bytes) -> np.ndarray:
    import numpy as np  # cold start: loaded with the first chunk
    import soundfile as sf

    try:
        samples, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=False)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(ErrorCode.AUDIO_CORRUPT, f"the chunk's audio cannot be read: {exc}") from exc
    return np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)


@tracer.capture_method(capture_response=False)
def transcribe_chunk(message: TaskMessage, delivery: Delivery, deps: BatchDeps) -> dict[str, Any]:
    """The step's work; its answer is `{"index": i}`."""
    item = ChunkInput.model_validate(message.input)
    job = running_job(deps, item.job)
    index = item.chunk.index
    logger.append_keys(chunk=index)
    row = deps.chunks.get_chunk(job.id, index)
    if row is None:
        raise StepFailure(CHUNK_FAILED, f"chunk {index}: the job has no such chunk")
    if row.state is ChunkState.DONE:
        logger.info("chunk already done")
        return ChunkAnswer(index=index).wire()
    try:
        bucket = deps.storage.audio_bucket or ""
        data = deps.objects.get(bucket, row.object_key, _MAX_CHUNK_BYTES)
        if data is None:
            raise AudioError(ErrorCode.AUDIO_EMPTY, f"the chunk's audio {row.object_key} is missing")
        language = job.source_language or deps.settings.default_language
        selection = deps.registry.select(Task.ASR, language=language, key=str(job.tenant_id))
        transcript = deps.inference.transcribe(selection, _samples(data), language)
    except SpeechError as error:
        if is_transient(error) and not delivery.is_last:
            raise
        if is_transient(error):
            deps.reset_inference()
        deps.chunks.mark_chunk_failed(job.id, index, error.code.value, error.message)
        raise chunk_failure(row, error.code.value, error.message) from error
    # posteriors can come back a hair over 1 (pocketsphinx: 1.0001); a confidence is kept within [0, 1]
    words = [
        ChunkWord(word=w.word, start=w.start, end=w.end, confidence=min(max(w.confidence, 0.0), 1.0))
        for w in transcript.segments
    ]
    if not deps.chunks.mark_chunk_done(job.id, index, transcript.text, words, transcript.model_version):
        again = deps.chunks.get_chunk(job.id, index)
        if again is None or again.state is not ChunkState.DONE:
            raise JobNotRunning(f"job {job.id} stopped running while chunk {index} was transcribed")
    logger.info("chunk transcribed", extra={"words": len(words), "model_version": transcript.model_version})
    return ChunkAnswer(index=index).wire()
