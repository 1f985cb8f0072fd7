"""The jobs service with in-memory fakes: create checks, idempotency, views, pages, cancel, retry, delete,
partial and whole transcripts."""

from __future__ import annotations

import json
import uuid

import pytest

from speech_core.contracts.jobs import CreateJobRequest, TranscriptDocument
from speech_core.db.records import ChunkWord, JobState, NewJobChunk
from speech_core.errors import ErrorCode, SpeechError
from speech_core.keys.caller import Caller
from speech_core.keys.scopes import KeyLimits
from speech_core.services import jobs
from speech_core.transcripts import TranscriptFormat
from tests.unit.services.job_fakes import fake_job_deps

TENANT = uuid.UUID("11111111-1111-1111-1111-111111111111")
OTHER = uuid.UUID("33333333-3333-3333-3333-333333333333")
UPLOAD_KEY = f"uploads/{TENANT}/u1/talk.wav"


def _caller(tenant: uuid.UUID = TENANT) -> Caller:
    return Caller(
        tenant_id=tenant,
        tenant_name="acme",
        key_id=uuid.uuid4(),
        key_prefix="spk_test",
        scopes=frozenset({"jobs"}),
        limits=KeyLimits(),
    )


def _request(**fields) -> CreateJobRequest:
    body = {"audioUri": f"s3://ingest/{UPLOAD_KEY}", "config": {"language": {"sourceLanguage": "en"}}, **fields}
    return CreateJobRequest.model_validate(body)


@pytest.fixture
def deps():
    deps = fake_job_deps()
    deps.objects.put("ingest", UPLOAD_KEY, b"RIFF" + b"\0" * 100, "audio/wav")
    return deps


def _code(call) -> ErrorCode:
    with pytest.raises(SpeechError) as caught:
        call()
    return caught.value.code


def test_create_queues_a_job_and_sends_its_first_attempt(deps):
    created = jobs.create_job(_request(outputFormats=["srt", "txt", "srt"]), _caller(), deps)
    assert created.created and created.job.state is JobState.QUEUED and created.job.attempt == 1
    assert created.job.output_formats == [TranscriptFormat.SRT, TranscriptFormat.TXT]
    assert created.job.audio_uri == f"s3://ingest/{UPLOAD_KEY}" and created.job.results is None
    [message] = deps.job_start.sent
    assert message.to_wire() == {"job": {"jobId": str(created.job.job_id), "tenantId": str(TENANT), "attempt": 1}}
    # the stored options are the validated request's (subtitle defaults included)
    stored = deps.jobs.rows[created.job.job_id].options
    assert stored["subtitles"] == {"maxCharsPerLine": 42, "linesPerCue": 2}


def test_same_idempotency_key_gives_the_same_job(deps):
    first = jobs.create_job(_request(idempotencyKey="order-7"), _caller(), deps)
    again = jobs.create_job(_request(idempotencyKey="order-7"), _caller(), deps)
    assert not again.created and again.job.job_id == first.job.job_id and len(deps.jobs.rows) == 1
    # without a key every create is a new job
    assert jobs.create_job(_request(), _caller(), deps).job.job_id != first.job.job_id


@pytest.mark.parametrize(
    ("uri", "code"),
    [
        (f"s3://other-bucket/{UPLOAD_KEY}", ErrorCode.AUDIO_URI_FORBIDDEN),
        (f"s3://ingest/uploads/{OTHER}/x.wav", ErrorCode.AUDIO_URI_FORBIDDEN),
        (f"s3://ingest/uploads/{TENANT}/../{OTHER}/x.wav", ErrorCode.AUDIO_URI_FORBIDDEN),
        (f"s3://ingest/uploads/{TENANT}/never-put.wav", ErrorCode.AUDIO_URI_FORBIDDEN),
    ],
)
def test_create_refuses_audio_that_is_not_an_own_upload(deps, uri, code):
    assert _code(lambda: jobs.create_job(_request(audioUri=uri), _caller(), deps)) is code
    assert deps.jobs.rows == {} and deps.job_start.sent == []


def test_create_refuses_an_upload_over_the_size_limit_and_an_unsupported_language(deps):
    deps.objects.put("ingest", UPLOAD_KEY, b"x" * 1_001, "audio/wav")
    assert _code(lambda: jobs.create_job(_request(), _caller(), deps)) is ErrorCode.AUDIO_TOO_LARGE
    spanish = _request(config={"language": {"sourceLanguage": "es"}})
    assert _code(lambda: jobs.create_job(spanish, _caller(), deps)) is ErrorCode.LANGUAGE_UNSUPPORTED


def test_another_tenants_job_is_not_found(deps):
    job = jobs.create_job(_request(), _caller(), deps).job
    for call in (
        lambda: jobs.get_job(OTHER, job.job_id, deps),
        lambda: jobs.cancel_job(OTHER, job.job_id, deps),
        lambda: jobs.retry_job(OTHER, job.job_id, deps),
        lambda: jobs.delete_job(OTHER, job.job_id, deps),
        lambda: jobs.job_transcript(OTHER, job.job_id, TranscriptFormat.TXT, deps),
    ):
        assert _code(call) is ErrorCode.RESOURCE_NOT_FOUND
    assert jobs.list_jobs(OTHER, deps, limit=10, state=None, cursor=None).jobs == []


def test_pages_with_cursor_and_state_filter(deps):
    ids = [jobs.create_job(_request(), _caller(), deps).job.job_id for _ in range(5)]
    deps.jobs.set(ids[0], state=JobState.FAILED)
    seen, cursor = [], None
    while True:
        page = jobs.list_jobs(TENANT, deps, limit=2, state=None, cursor=cursor)
        seen += [j.job_id for j in page.jobs]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ids[::-1]
    failed = jobs.list_jobs(TENANT, deps, limit=10, state=JobState.FAILED, cursor=None)
    assert [j.job_id for j in failed.jobs] == [ids[0]]
    assert _code(lambda: jobs.list_jobs(TENANT, deps, limit=2, state=None, cursor="not-a-cursor")) is (
        ErrorCode.REQUEST_INVALID
    )


def test_view_shows_progress_and_result_links(deps):
    job = jobs.create_job(_request(), _caller(), deps).job
    deps.jobs.set(
        job.job_id, state=JobState.RUNNING, audio_seconds_total=120.0, audio_seconds_done=30.0, chunks_total=4
    )
    running = jobs.get_job(TENANT, job.job_id, deps)
    assert running.progress.fraction == 0.25 and running.progress.chunks_total == 4 and running.results is None
    deps.jobs.set(
        job.job_id,
        state=JobState.SUCCEEDED,
        audio_seconds_done=120.0,
        billed_audio_seconds=120.0,
        outputs={"txt": f"results/{TENANT}/{job.job_id}/transcript.txt"},
    )
    done = jobs.get_job(TENANT, job.job_id, deps)
    assert done.progress.fraction == 1.0 and done.billed_audio_seconds == 120.0
    assert done.results is not None and done.results[TranscriptFormat.TXT].startswith("https://results.s3.local/")


def test_cancel_stops_the_execution_and_refuses_a_finished_job(deps):
    job = jobs.create_job(_request(), _caller(), deps).job
    deps.jobs.set(job.job_id, state=JobState.RUNNING, execution_arn="arn:aws:states:x:execution:m:e")
    cancelled = jobs.cancel_job(TENANT, job.job_id, deps)
    assert cancelled.state is JobState.CANCELLED and deps.executions.stopped == ["arn:aws:states:x:execution:m:e"]
    assert _code(lambda: jobs.cancel_job(TENANT, job.job_id, deps)) is ErrorCode.JOB_ALREADY_FINISHED


def test_retry_sends_the_next_attempt_and_refuses_a_job_that_did_not_fail(deps):
    job = jobs.create_job(_request(), _caller(), deps).job
    assert _code(lambda: jobs.retry_job(TENANT, job.job_id, deps)) is ErrorCode.JOB_NOT_RETRYABLE
    deps.jobs.set(job.job_id, state=JobState.FAILED, error_code="job.chunk_failed", error_message="chunk 3")
    retried = jobs.retry_job(TENANT, job.job_id, deps)
    assert (retried.state, retried.attempt, retried.error) == (JobState.QUEUED, 2, None)
    assert deps.job_start.sent[-1].job.attempt == 2


def test_delete_removes_input_chunks_results_and_row(deps):
    job = jobs.create_job(_request(), _caller(), deps).job
    deps.jobs.set(job.job_id, state=JobState.RUNNING, execution_arn="arn:exec")
    deps.objects.put("audio", f"chunks/{TENANT}/{job.job_id}/00000.wav", b"c", "audio/wav")
    deps.objects.put("results", f"results/{TENANT}/{job.job_id}/transcript.txt", b"t", "text/plain")
    keep = ("audio", f"chunks/{TENANT}/{uuid.uuid4()}/00000.wav")
    deps.objects.put(*keep, b"other job", "audio/wav")
    jobs.delete_job(TENANT, job.job_id, deps)
    assert deps.executions.stopped == ["arn:exec"]
    assert list(deps.objects.objects) == [keep] and deps.jobs.rows == {}


def test_transcript_while_running_is_the_done_chunks_in_order(deps):
    job = jobs.create_job(_request(), _caller(), deps).job
    deps.jobs.set(job.job_id, state=JobState.RUNNING, chunks_total=3, audio_seconds_total=30.0)
    deps.job_chunks.put_chunks(
        job.job_id,
        [NewJobChunk(index=i, start_sample=i * 160_000, num_samples=160_000, object_key=f"c{i}") for i in range(3)],
    )
    deps.job_chunks.mark_done(job.job_id, 2, "third part", [ChunkWord(word="third", start=0.5, end=0.9)])
    deps.job_chunks.mark_done(job.job_id, 0, "first part", None)
    answer = jobs.job_transcript(TENANT, job.job_id, TranscriptFormat.JSON, deps)
    body = json.loads(answer.body)
    assert not answer.complete and answer.content_type == "application/json"
    TranscriptDocument.model_validate(body)  # what the OpenAPI document says the json format is
    assert body["text"] == "first part third part" and body["missingChunks"] == [1]
    assert body["segments"][1]["words"][0]["start"] == 20.5  # the chunk's offset on the job's timeline
    vtt = jobs.job_transcript(TENANT, job.job_id, TranscriptFormat.VTT, deps)
    assert vtt.body.startswith("WEBVTT") and vtt.content_type.startswith("text/vtt")


def test_transcript_of_a_succeeded_job_is_its_stored_output(deps):
    job = jobs.create_job(_request(), _caller(), deps).job
    key = f"results/{TENANT}/{job.job_id}/transcript.srt"
    deps.objects.put("results", key, b"1\n00:00:00,000 --> 00:00:01,000\nhello\n", "application/x-subrip")
    deps.jobs.set(job.job_id, state=JobState.SUCCEEDED, outputs={"srt": key})
    answer = jobs.job_transcript(TENANT, job.job_id, TranscriptFormat.SRT, deps)
    assert answer.complete and "hello" in answer.body
    # too big for a response body: a link instead
    deps.objects.put("results", key, b"x" * (jobs.MAX_INLINE_TRANSCRIPT_BYTES + 1), "application/x-subrip")
    big = jobs.job_transcript(TENANT, job.job_id, TranscriptFormat.SRT, deps)
    assert big.body is None and big.redirect_url is not None and key in big.redirect_url


def test_webhook_url_is_checked_at_create(deps):
    loopback = _request(webhook={"url": "https://127.0.0.1:8443/hook"})
    assert _code(lambda: jobs.create_job(loopback, _caller(), deps)) is ErrorCode.JOB_WEBHOOK_URL_REFUSED
    metadata = _request(webhook={"url": "http://169.254.169.254/latest"})
    local = fake_job_deps(objects=deps.objects, webhook_allow_insecure_local=True)
    assert _code(lambda: jobs.create_job(metadata, _caller(), local)) is ErrorCode.JOB_WEBHOOK_URL_REFUSED
    # the local stage takes a receiver on this machine, and the job keeps its URL
    created = jobs.create_job(_request(webhook={"url": "http://127.0.0.1:9000/hook"}), _caller(), local)
    assert local.jobs.rows[created.job.job_id].webhook_url == "http://127.0.0.1:9000/hook"


def test_a_job_names_the_post_processors_it_asked_for_and_those_not_served(deps):
    # Given a job asking for itn (served for en) and punctuation (no model serves it)
    config = {"language": {"sourceLanguage": "en"}, "postProcessors": ["itn", "punctuation"]}
    created = jobs.create_job(_request(config=config), _caller(), deps)
    # Then its view names both and skips punctuation only, as the sync API's X-Skipped-Post-Processors
    assert [p.value for p in created.job.post_processors] == ["itn", "punctuation"]
    assert created.job.skipped_post_processors == ["punctuation"]
    wire = jobs.get_job(TENANT, created.job.job_id, deps).to_wire()
    assert wire["skippedPostProcessors"] == ["punctuation"] and wire["postProcessors"] == ["itn", "punctuation"]
    # a language without an itn grammar skips itn too
    record = deps.jobs.get(TENANT, created.job.job_id).model_copy(update={"source_language": "ta"})
    assert jobs.job_view(record, deps).skipped_post_processors == ["itn", "punctuation"]


def test_a_job_without_post_processors_skips_none(deps):
    created = jobs.create_job(_request(), _caller(), deps)
    assert created.job.post_processors == [] and created.job.skipped_post_processors == []


def test_a_partial_transcript_is_as_heard_and_says_so_a_stored_one_names_only_the_unserved(deps):
    config = {"language": {"sourceLanguage": "en"}, "postProcessors": ["itn", "punctuation"]}
    job = jobs.create_job(_request(config=config), _caller(), deps).job
    deps.jobs.set(job.job_id, state=JobState.RUNNING, chunks_total=1, audio_seconds_total=10.0)
    deps.job_chunks.put_chunks(job.job_id, [NewJobChunk(index=0, start_sample=0, num_samples=160_000, object_key="c")])
    deps.job_chunks.mark_done(job.job_id, 0, "ten meters", None)
    # while running: the text as heard, every asked post-processor named as not reflected
    partial = jobs.job_transcript(TENANT, job.job_id, TranscriptFormat.TXT, deps)
    assert partial.body == "ten meters\n" and partial.skipped_post_processors == ("itn", "punctuation")
    # once succeeded: the stored output (written form, by assemble), only the unserved one named
    key = f"results/{TENANT}/{job.job_id}/transcript.txt"
    deps.objects.put("results", key, b"10 m\n", "text/plain")
    deps.jobs.set(job.job_id, state=JobState.SUCCEEDED, outputs={"txt": key})
    whole = jobs.job_transcript(TENANT, job.job_id, TranscriptFormat.TXT, deps)
    assert whole.body == "10 m\n" and whole.skipped_post_processors == ("punctuation",)
