"""The jobs API: create, read, page, cancel, retry and delete batch transcription jobs, and their transcripts.

Every function takes the caller's tenant and answers only for that tenant's jobs: another tenant's job is
`resource.not_found`, exactly as a job that does not exist. The workflow (speech_core.batch) does the work;
this module only writes job rows, sends `{"job": ...}` to the job-start queue, stops executions and deletes
objects (docs/jobs-contract.md).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from speech_core.contracts.jobs import (
    CreateJobRequest,
    Job,
    JobError,
    JobExecutionInput,
    JobList,
    JobOptions,
    JobProgress,
    JobRef,
)
from speech_core.contracts.task_configs import PostProcessor
from speech_core.db.records import (
    JOB_SAMPLE_RATE,
    ChunkState,
    JobCursor,
    JobRecord,
    JobSource,
    JobState,
    NewJob,
)
from speech_core.errors import AudioError, ErrorCode, RequestError
from speech_core.keys.caller import Caller
from speech_core.observability import logger, tracer
from speech_core.services.job_dependencies import JobServiceDeps
from speech_core.storage.object_store import ObjectTooLarge
from speech_core.transcripts import ChunkResult, SubtitleRules, TranscriptFormat, merge_chunks, render
from speech_core.transcripts.render import CONTENT_TYPES

#: where job inputs live in the ingest bucket (POST /v1/uploads; S3-drop): a deleted job's input is removed
#: only under these prefixes (services.audio_input and infra_cdk.names hold the same strings)
UPLOADS_PREFIX = "uploads/"
INCOMING_PREFIX = "incoming/"
#: a transcript answered in the body at most this big (Lambda answers at most 6 MB); a bigger stored one is
#: answered with a redirect to its presigned link
MAX_INLINE_TRANSCRIPT_BYTES = 5_000_000


def chunks_prefix(tenant_id: uuid.UUID, job_id: uuid.UUID) -> str:
    """A job's chunks and manifest in the audio bucket."""
    return f"chunks/{tenant_id}/{job_id}/"


def results_prefix(tenant_id: uuid.UUID, job_id: uuid.UUID) -> str:
    """A job's outputs in the results bucket."""
    return f"results/{tenant_id}/{job_id}/"


def api_idempotency_key(key: str | None) -> str:
    """The stored idempotency key of an API create: `api:` + the client's key (a fresh one when absent), kept
    apart from the keys the S3-drop path makes for its objects."""
    return f"api:{key if key is not None else uuid.uuid4().hex}"


# --- views -----------------------------------------------------------------------------------------------


def job_view(job: JobRecord, deps: JobServiceDeps) -> Job:
    """The job as a client sees it; presigned result links when it succeeded."""
    options = _options(job)
    results: dict[TranscriptFormat, str] | None = None
    ttl: int | None = None
    bucket = deps.storage.results_bucket
    if job.state is JobState.SUCCEEDED and bucket is not None:
        ttl = deps.storage.presigned_url_ttl_s
        results = {
            TranscriptFormat(fmt): deps.objects.presigned_get_url(bucket, key, ttl)
            for fmt, key in sorted(job.outputs.items())
            if fmt in TranscriptFormat.__members__.values() and isinstance(key, str)
        }
    requested = options.config.post_processors if options else []
    done = job.audio_seconds_done
    total = job.audio_seconds_total
    fraction = min(1.0, done / total) if total else 0.0
    if job.state is JobState.SUCCEEDED:
        fraction = 1.0
    return Job(
        job_id=job.id,
        state=job.state,
        source=job.source,
        attempt=job.attempt,
        audio_uri=f"s3://{job.input_bucket}/{job.input_key}",
        language=job.source_language,
        output_formats=options.output_formats if options else list(TranscriptFormat),
        post_processors=requested,
        skipped_post_processors=_skipped(requested, job.source_language, deps),
        progress=JobProgress(
            audio_seconds=round(done, 3),
            total_audio_seconds=round(total, 3) if total is not None else None,
            chunks_done=job.chunks_done,
            chunks_total=job.chunks_total,
            fraction=round(fraction, 4),
        ),
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        billed_audio_seconds=job.billed_audio_seconds,
        results=results,
        results_expire_in_seconds=ttl,
        error=JobError(code=job.error_code, message=job.error_message or "") if job.error_code is not None else None,
    )


def _skipped(requested: list[PostProcessor], language: str | None, deps: JobServiceDeps) -> list[str]:
    """What the assemble step will not apply (post_processing.py), as the sync API's X-Skipped-Post-Processors."""
    if not requested:
        return []
    # cold start: the registry (and its yaml) only for a job that asked for post-processors
    from speech_core.services.text_normalization import skipped_post_processors

    return skipped_post_processors(requested, language or "", deps.registry)


def _options(job: JobRecord) -> JobOptions | None:
    try:
        return JobOptions.model_validate(job.options)
    except ValueError:
        logger.warning("job options unreadable", extra={"job_id": str(job.id)})
        return None


# --- cursors -----------------------------------------------------------------------------------------------


def encode_cursor(cursor: JobCursor) -> str:
    raw = f"{cursor.created_at.isoformat()}|{cursor.job_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> JobCursor:
    """The page position a `nextCursor` names; 400 request.invalid for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        created_at, job_id = raw.split("|")
        cursor = JobCursor(created_at=datetime.fromisoformat(created_at), job_id=uuid.UUID(job_id))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise RequestError(ErrorCode.REQUEST_INVALID, "cursor is not one this API gave out") from error
    if cursor.created_at.tzinfo is None:
        raise RequestError(ErrorCode.REQUEST_INVALID, "cursor is not one this API gave out")
    return cursor


# --- create ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedJob:
    job: Job
    #: False when an earlier create with the same idempotencyKey made it
    created: bool


def _input_object(request: CreateJobRequest, tenant_id: uuid.UUID, deps: JobServiceDeps) -> tuple[str, str]:
    """The (bucket, key) of the caller's own upload the request names, checked to exist and fit the limits."""
    from speech_core.services.audio_input import uploads_prefix  # cold start: the audio stack, create only

    parts = urlsplit(request.audio_uri)
    bucket, key = parts.netloc, parts.path.lstrip("/")
    ingest = deps.storage.ingest_bucket
    allowed = uploads_prefix(tenant_id)
    if ingest is None or bucket != ingest or not key.startswith(allowed) or ".." in key.split("/"):
        raise AudioError(
            ErrorCode.AUDIO_URI_FORBIDDEN,
            "audioUri must name one of your own uploads (s3://<bucket>/uploads/<tenant>/...); "
            "create one with POST /v1/uploads",
            details={"allowedPrefix": f"s3://{ingest}/{allowed}"},
        )
    info = deps.objects.head(bucket, key)
    if info is None:
        raise AudioError(
            ErrorCode.AUDIO_URI_FORBIDDEN,
            "audioUri names no upload of yours (was the upload PUT?)",
            details={"audioUri": request.audio_uri},
        )
    if info.size == 0:
        raise AudioError(ErrorCode.AUDIO_EMPTY, "the upload is empty")
    limit = deps.job_limits.max_input_bytes
    if info.size > limit:
        raise AudioError(
            ErrorCode.AUDIO_TOO_LARGE,
            f"the upload is {info.size} bytes; a job takes at most {limit}",
            details={"bytes": info.size, "maxBytes": limit},
        )
    return bucket, key


@tracer.capture_method(capture_response=False)
def create_job(request: CreateJobRequest, caller: Caller, deps: JobServiceDeps) -> CreatedJob:
    """A job for the caller's upload, queued for the workflow; the same job again for a repeated
    idempotencyKey (re-sent to the job-start queue while still queued: a lost send is repaired by a retried
    create, and a repeated one is harmless)."""
    from speech_core.inference.registry import Task  # cold start: the registry's code, create only

    language = request.config.language.source_language
    deps.registry.select(Task.ASR, language=language, key=str(caller.tenant_id))  # 400 language.unsupported
    bucket, key = _input_object(request, caller.tenant_id, deps)
    options = request.options()
    if options.webhook is not None:
        _check_webhook(options.webhook.url, deps)
    record, created = deps.jobs.create(
        NewJob(
            tenant_id=caller.tenant_id,
            api_key_id=caller.key_id,
            idempotency_key=api_idempotency_key(request.idempotency_key),
            input_bucket=bucket,
            input_key=key,
            source_language=language,
            options=options.to_stored(),
            source=JobSource.API,
            webhook_url=options.webhook.url if options.webhook else None,
        )
    )
    if record.state is JobState.QUEUED:
        _send_start(record, deps)
    logger.info("job created" if created else "job create repeated", extra={"job_id": str(record.id)})
    return CreatedJob(job=job_view(record, deps), created=created)


def _check_webhook(url: str, deps: JobServiceDeps) -> None:
    """400 job.webhook_url_refused now rather than a silent failed delivery later (the URL is checked again,
    with a fresh DNS answer, when the webhook is sent)."""
    from speech_core.notify.url_check import check_webhook_url  # cold start: only a create with a webhook

    check_webhook_url(url, allow_insecure_local=deps.webhook_allow_insecure_local)


def _send_start(job: JobRecord, deps: JobServiceDeps) -> None:
    deps.job_start.send(JobExecutionInput(job=JobRef(job_id=job.id, tenant_id=job.tenant_id, attempt=job.attempt)))


# --- read ----------------------------------------------------------------------------------------------------


def _own_job(tenant_id: uuid.UUID, job_id: uuid.UUID, deps: JobServiceDeps) -> JobRecord:
    job = deps.jobs.get(tenant_id, job_id)
    if job is None:
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, f"no job {job_id}", details={"jobId": str(job_id)})
    return job


def get_job(tenant_id: uuid.UUID, job_id: uuid.UUID, deps: JobServiceDeps) -> Job:
    return job_view(_own_job(tenant_id, job_id, deps), deps)


def list_jobs(
    tenant_id: uuid.UUID, deps: JobServiceDeps, *, limit: int, state: JobState | None, cursor: str | None
) -> JobList:
    after = decode_cursor(cursor) if cursor else None
    page = deps.jobs.list_page(tenant_id, limit=limit, state=state, after=after)
    return JobList(
        jobs=[job_view(job, deps) for job in page.jobs],
        next_cursor=encode_cursor(page.next_after) if page.next_after else None,
    )


# --- cancel, retry, delete -------------------------------------------------------------------------------------


def _stop(job: JobRecord, deps: JobServiceDeps, why: str) -> None:
    if job.execution_arn:
        deps.executions.stop(job.execution_arn, why)


@tracer.capture_method(capture_response=False)
def cancel_job(tenant_id: uuid.UUID, job_id: uuid.UUID, deps: JobServiceDeps) -> Job:
    """The row to cancelled first (every worker then writes nothing more), then its execution stopped.
    409 job.already_finished for a job that already ended."""
    job = _own_job(tenant_id, job_id, deps)
    cancelled = deps.jobs.transition(job.id, JobState.CANCELLED)
    _stop(cancelled, deps, "cancelled by the API")
    logger.info("job cancelled", extra={"job_id": str(job.id)})
    return job_view(cancelled, deps)


@tracer.capture_method(capture_response=False)
def retry_job(tenant_id: uuid.UUID, job_id: uuid.UUID, deps: JobServiceDeps) -> Job:
    """A failed or cancelled job queued again as its next attempt: chunks already done are kept, failed ones
    run again. 409 job.not_retryable in any other state."""
    retried = deps.jobs.retry(tenant_id, job_id)
    _send_start(retried, deps)
    logger.info("job retried", extra={"job_id": str(job_id), "attempt": retried.attempt})
    return job_view(retried, deps)


@tracer.capture_method(capture_response=False)
def delete_job(tenant_id: uuid.UUID, job_id: uuid.UUID, deps: JobServiceDeps) -> None:
    """Stop the job if it runs, delete its input, chunks and results, then its row (chunks and webhook
    deliveries go with it). A delete that fails half-way can be repeated: every step is idempotent."""
    job = _own_job(tenant_id, job_id, deps)
    if not job.state.is_final:
        try:
            job = deps.jobs.transition(job.id, JobState.CANCELLED)
        except RequestError as error:
            if error.code is not ErrorCode.JOB_ALREADY_FINISHED:
                raise
        _stop(job, deps, "deleted by the API")
    storage = deps.storage
    own_inputs = (f"{UPLOADS_PREFIX}{tenant_id}/", f"{INCOMING_PREFIX}{tenant_id}/")
    if job.input_bucket == storage.ingest_bucket and job.input_key.startswith(own_inputs):
        deps.objects.delete(job.input_bucket, job.input_key)
    if storage.audio_bucket is not None:
        deps.objects.delete_prefix(storage.audio_bucket, chunks_prefix(tenant_id, job.id))
    if storage.results_bucket is not None:
        deps.objects.delete_prefix(storage.results_bucket, results_prefix(tenant_id, job.id))
    deps.jobs.delete(tenant_id, job.id)
    logger.info("job deleted", extra={"job_id": str(job.id)})


# --- transcript ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptAnswer:
    """A transcript in the body, or (a stored one too big for a body) a link to it."""

    content_type: str
    complete: bool
    body: str | None = None
    redirect_url: str | None = None
    #: the job's post-processors this body does not reflect (X-Skipped-Post-Processors)
    skipped_post_processors: tuple[str, ...] = ()


@tracer.capture_method(capture_response=False)
def job_transcript(
    tenant_id: uuid.UUID, job_id: uuid.UUID, fmt: TranscriptFormat, deps: JobServiceDeps
) -> TranscriptAnswer:
    """The whole transcript of a succeeded job (its stored output); otherwise what the done chunks give so
    far, in order on the job's timeline (a running job, or a failed or cancelled one). The transcript so far is
    as heard: the job's post-processors (ITN) run once, in the assemble step, so a partial answer names them all
    as skipped, and a stored one those the assemble step could not apply."""
    job = _own_job(tenant_id, job_id, deps)
    options = _options(job)
    requested = options.config.post_processors if options else []
    content_type = CONTENT_TYPES[fmt]
    stored = job.outputs.get(fmt.value)
    bucket = deps.storage.results_bucket
    if job.state is JobState.SUCCEEDED and isinstance(stored, str) and bucket is not None:
        skipped = tuple(_skipped(requested, job.source_language, deps))
        try:
            data = deps.objects.get(bucket, stored, MAX_INLINE_TRANSCRIPT_BYTES)
        except ObjectTooLarge:
            url = deps.objects.presigned_get_url(bucket, stored, deps.storage.presigned_url_ttl_s)
            return TranscriptAnswer(
                content_type=content_type, complete=True, redirect_url=url, skipped_post_processors=skipped
            )
        if data is not None:
            return TranscriptAnswer(
                content_type=content_type, complete=True, body=data.decode("utf-8"), skipped_post_processors=skipped
            )
    chunks = [
        ChunkResult.model_validate(chunk, from_attributes=True)
        for chunk in deps.job_chunks.list_chunks(job.id, ChunkState.DONE)
    ]
    total_samples = round(job.audio_seconds_total * JOB_SAMPLE_RATE) if job.audio_seconds_total is not None else None
    transcript = merge_chunks(
        chunks, language=job.source_language, chunks_total=job.chunks_total, total_samples=total_samples
    )
    rules = (
        SubtitleRules(
            max_chars_per_line=options.subtitles.max_chars_per_line, lines_per_cue=options.subtitles.lines_per_cue
        )
        if options
        else SubtitleRules()
    )
    body = render(transcript, fmt, rules)
    if len(body.encode()) > MAX_INLINE_TRANSCRIPT_BYTES:
        raise RequestError(
            ErrorCode.REQUEST_TOO_LARGE,
            "the partial transcript is too big to answer; wait for the job to finish and use its result link",
        )
    complete = job.state is JobState.SUCCEEDED or (job.chunks_total is not None and transcript.complete)
    as_heard = tuple(dict.fromkeys(p.value for p in requested))
    return TranscriptAnswer(content_type=content_type, complete=complete, body=body, skipped_post_processors=as_heard)
