"""The `assemble` step: the done chunks merged in order on the global timeline, the job's post-processors
applied (post_processing.py: ITN), -> every requested output in the results bucket, and the job attempt's usage
metered once (task `asr`, audio seconds)."""

from __future__ import annotations

from typing import Any

from speech_core.batch.deps import BatchDeps
from speech_core.batch.jobs_access import result_key, running_job
from speech_core.batch.messages import Assembled, StateInput, TaskMessage, usage_request_id
from speech_core.batch.options import job_options
from speech_core.batch.post_processing import apply_post_processors
from speech_core.batch.task_worker import StepFailure
from speech_core.batch.transcribe import CHUNK_FAILED, chunk_failure
from speech_core.contracts.jobs import JobRef
from speech_core.db.records import ChunkState, JobChunkRecord, JobRecord, NewResult, RequestLogEntry, Segment
from speech_core.inference import Task
from speech_core.observability import logger, tracer
from speech_core.transcripts import (
    CONTENT_TYPES,
    JOB_SAMPLE_RATE,
    ChunkResult,
    SubtitleRules,
    TimedWord,
    Transcript,
    merge_chunks,
    render,
)


def chunk_result(row: JobChunkRecord) -> ChunkResult:
    """A done chunk's row as the merge takes it (confidences kept within [0, 1] whatever the model said)."""
    words = None
    if row.words is not None:
        words = [
            TimedWord(
                word=w.word,
                start=max(w.start, 0.0),
                end=max(w.end, w.start, 0.0),
                confidence=None if w.confidence is None else min(max(w.confidence, 0.0), 1.0),
            )
            for w in row.words
        ]
    return ChunkResult(
        index=row.index,
        start_sample=row.start_sample,
        num_samples=row.num_samples,
        transcript=row.transcript,
        words=words,
    )


def missing_chunks_failure(deps: BatchDeps, job: JobRecord, missing: list[int]) -> StepFailure:
    """`ChunkFailed` naming the first chunk without a transcript, with the error its worker recorded where there
    is one. The Distributed Map tolerates failed items (its items fail one by one, not the Map), so this is how
    such a job ends FAILED naming its chunk, exactly as the inline Map's failure does."""
    row = deps.chunks.get_chunk(job.id, missing[0])
    if row is not None and row.state is ChunkState.FAILED and row.error_code:
        failure = chunk_failure(row, row.error_code, row.error_message or "")
        return StepFailure(CHUNK_FAILED, f"{failure.cause} ({len(missing)} missing)")
    return StepFailure(CHUNK_FAILED, f"chunk {missing[0]}: not transcribed ({len(missing)} missing)")


def meter_job(deps: BatchDeps, ref: JobRef, job: JobRecord, transcript: Transcript, model_version: str) -> bool:
    """One request-log row (and the daily usage of the job's key) per job attempt, with the transcript as the
    job's result; False when this attempt was metered already (a redelivered assemble)."""
    language = job.source_language or deps.settings.default_language
    model = deps.registry.select(Task.ASR, language=language, key=str(job.tenant_id)).model
    return deps.request_log.record(
        RequestLogEntry(
            request_id=usage_request_id(ref),
            tenant_id=job.tenant_id,
            api_key_id=job.api_key_id,
            task=Task.ASR.value,
            model_name=model,
            model_version=model_version,
            source_language=language,
            audio_seconds=transcript.duration,
            status=200,
        ),
        results=[
            NewResult(
                tenant_id=job.tenant_id,
                job_id=job.id,
                task=Task.ASR.value,
                transcript=transcript.text,
                segments=[Segment(start_s=s.start, end_s=s.end, text=s.text) for s in transcript.segments],
                detected_language=language,
                audio_duration_s=transcript.duration,
                sample_rate=JOB_SAMPLE_RATE,
            )
        ],
    )


@tracer.capture_method(capture_response=False)
def assemble_transcript(message: TaskMessage, deps: BatchDeps) -> dict[str, Any]:
    """The step's work; its answer is `$.assembled`."""
    state = StateInput.model_validate(message.input)
    job = running_job(deps, state.job)
    rows = deps.chunks.list_chunks(job.id, ChunkState.DONE)
    transcript = merge_chunks(
        [chunk_result(row) for row in rows],
        language=job.source_language,
        chunks_total=job.chunks_total,
        total_samples=state.prepared.total_samples if state.prepared else None,
    )
    if transcript.missing_chunks:
        raise missing_chunks_failure(deps, job, transcript.missing_chunks)
    options = job_options(job, deps.settings.default_language)
    language = job.source_language or deps.settings.default_language
    transcript = apply_post_processors(transcript, options.config.post_processors, language, str(job.tenant_id), deps)
    rules = SubtitleRules(
        max_chars_per_line=options.subtitles.max_chars_per_line, lines_per_cue=options.subtitles.lines_per_cue
    )
    bucket = deps.storage.results_bucket
    if bucket is None:
        raise RuntimeError("RESULTS_BUCKET is not set for this function")
    outputs: dict[str, str] = {}
    for fmt in options.output_formats:
        key = result_key(job, fmt.value)
        deps.objects.put(bucket, key, render(transcript, fmt, rules).encode("utf-8"), CONTENT_TYPES[fmt])
        outputs[fmt.value] = key
    versions = sorted({row.model_version for row in rows if row.model_version})
    metered = meter_job(deps, state.job, job, transcript, "+".join(versions) or "unknown")
    logger.info("assembled", extra={"outputs": sorted(outputs), "metered": metered, "seconds": transcript.duration})
    return Assembled(outputs=outputs, audio_seconds=transcript.duration).wire()
