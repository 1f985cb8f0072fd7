"""Repositories against a real PostgreSQL: request log and usage, jobs, results, connections, isolation."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from speech_core.db.records import (
    ConnectionState,
    JobState,
    NewApiKey,
    NewJob,
    NewResult,
    RequestLogEntry,
    Segment,
)
from speech_core.db.repositories import get_repositories
from speech_core.errors import ErrorCode, RequestError


@pytest.fixture
def repos(database_url):
    return get_repositories(database_url)


def _tenant_with_key(repos):
    tenant = repos.tenants.create(f"t-{uuid.uuid4().hex[:8]}", "Tenant")
    key = repos.api_keys.add(
        NewApiKey(
            tenant_id=tenant.id,
            name="k",
            prefix=f"spk_{uuid.uuid4().hex[:12]}",
            key_hash=b"\0" * 32,
            scopes=["asr"],
            rate_per_minute=60,
            rate_per_hour=1000,
            daily_quota=10000,
        )
    )
    return tenant, key


def _entry(tenant, key, **overrides) -> RequestLogEntry:
    values = dict(
        request_id=uuid.uuid4().hex,
        tenant_id=tenant.id,
        api_key_id=key.id,
        task="asr",
        model_name="asr",
        model_version="1",
        source_language="en",
        input_bytes=32000,
        audio_seconds=1.5,
        processing_ms=12.5,
        status=200,
    )
    values.update(overrides)
    return RequestLogEntry(**values)


def test_request_log_feeds_daily_usage_once_per_request(repos):
    tenant, key = _tenant_with_key(repos)
    first = _entry(tenant, key)
    assert repos.request_log.record(first) is True
    # a retried write of the same request neither duplicates nor double-counts
    assert repos.request_log.record(first) is False
    repos.request_log.record(_entry(tenant, key, audio_seconds=2.5))
    repos.request_log.record(_entry(tenant, key, task="translation", audio_seconds=0, characters=40))
    repos.request_log.record(_entry(tenant, key, status=400, error_code="audio.corrupt", audio_seconds=0))

    usage = {row.task: row for row in repos.usage.daily_for_key(tenant.id, key.id, datetime.now(UTC).date())}
    assert usage["asr"].requests == 3 and usage["asr"].errors == 1
    assert usage["asr"].audio_seconds == pytest.approx(4.0)
    assert usage["translation"].requests == 1 and usage["translation"].characters == 40
    assert len(repos.request_log.list_for_tenant(tenant.id)) == 4
    assert repos.usage.requests_since(key.id, datetime.now(UTC) - timedelta(minutes=1)) == 4


def test_concurrent_usage_increments_are_not_lost(repos):
    tenant, key = _tenant_with_key(repos)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: repos.request_log.record(_entry(tenant, key, audio_seconds=1.0)), range(40)))
    (row,) = repos.usage.daily_for_key(tenant.id, key.id, datetime.now(UTC).date())
    assert row.requests == 40 and row.audio_seconds == pytest.approx(40.0)


def test_usage_and_logs_are_isolated_per_tenant(repos):
    alpha, alpha_key = _tenant_with_key(repos)
    beta, _ = _tenant_with_key(repos)
    repos.request_log.record(_entry(alpha, alpha_key))
    assert repos.usage.daily_for_key(beta.id, alpha_key.id, datetime.now(UTC).date()) == []
    assert repos.request_log.list_for_tenant(beta.id) == []


def test_job_lifecycle_and_idempotent_create(repos):
    tenant, key = _tenant_with_key(repos)
    new = NewJob(
        tenant_id=tenant.id,
        api_key_id=key.id,
        idempotency_key="incoming/a.wav#etag1",
        input_bucket="ingest",
        input_key="incoming/t/a.wav",
        source_language="en",
        options={"formats": ["srt"]},
    )
    job, created = repos.jobs.create(new)
    again, created_again = repos.jobs.create(new)
    assert created and not created_again and again.id == job.id and job.state is JobState.QUEUED

    running = repos.jobs.transition(job.id, JobState.RUNNING, execution_arn="arn:aws:states:x", progress=0.25)
    assert running.started_at is not None and running.progress == 0.25
    done = repos.jobs.transition(job.id, JobState.SUCCEEDED, outputs={"srt": "results/t/a.srt"})
    assert done.progress == 1.0 and done.finished_at is not None and done.outputs == {"srt": "results/t/a.srt"}

    # a finished job never changes again
    with pytest.raises(RequestError) as caught:
        repos.jobs.transition(job.id, JobState.CANCELLED)
    assert caught.value.code is ErrorCode.JOB_ALREADY_FINISHED and caught.value.http_status == 409
    with pytest.raises(RequestError) as missing:
        repos.jobs.transition(uuid.uuid4(), JobState.RUNNING)
    assert missing.value.code is ErrorCode.RESOURCE_NOT_FOUND


def test_failed_job_records_its_error(repos):
    tenant, _ = _tenant_with_key(repos)
    job, _ = repos.jobs.create(NewJob(tenant_id=tenant.id, idempotency_key="k", input_bucket="b", input_key="k"))
    failed = repos.jobs.transition(job.id, JobState.FAILED, error_code="audio.corrupt", error_message="not audio")
    assert (failed.state, failed.error_code, failed.error_message) == (JobState.FAILED, "audio.corrupt", "not audio")


def test_progress_out_of_range_is_rejected_by_the_database(repos):
    tenant, _ = _tenant_with_key(repos)
    job, _ = repos.jobs.create(NewJob(tenant_id=tenant.id, idempotency_key="p", input_bucket="b", input_key="k"))
    with pytest.raises(IntegrityError):
        repos.jobs.transition(job.id, JobState.RUNNING, progress=1.5)


def test_jobs_are_isolated_per_tenant(repos):
    alpha, _ = _tenant_with_key(repos)
    beta, _ = _tenant_with_key(repos)
    job, _ = repos.jobs.create(NewJob(tenant_id=alpha.id, idempotency_key="x", input_bucket="b", input_key="k"))
    # the same idempotency key in another tenant is another job
    other, created = repos.jobs.create(NewJob(tenant_id=beta.id, idempotency_key="x", input_bucket="b", input_key="k"))
    assert created and other.id != job.id
    assert repos.jobs.get(beta.id, job.id) is None
    assert [j.id for j in repos.jobs.list_for_tenant(alpha.id)] == [job.id]


def test_results_belong_to_exactly_one_owner(repos):
    tenant, _ = _tenant_with_key(repos)
    stored = repos.results.add(
        NewResult(
            tenant_id=tenant.id,
            request_id="req-1",
            task="asr",
            transcript="go forward ten meters",
            confidence=0.8,
            detected_language="en",
            audio_duration_s=2.1,
            sample_rate=16000,
            segments=[Segment(start_s=0.0, end_s=2.1, text="go forward ten meters", confidence=0.8)],
        )
    )
    (fetched,) = repos.results.for_request(tenant.id, "req-1")
    assert fetched.segments == stored.segments and fetched.segments[0].end_s == 2.1
    other, _ = _tenant_with_key(repos)
    assert repos.results.for_request(other.id, "req-1") == []
    with pytest.raises(IntegrityError):
        repos.results.add(NewResult(tenant_id=tenant.id, task="asr", transcript="orphan"))


def test_connections_get_unique_sequence_ids_and_close(repos):
    tenant, key = _tenant_with_key(repos)
    first = repos.connections.open(f"c-{uuid.uuid4().hex}", tenant.id, key.id)
    second = repos.connections.open(f"c-{uuid.uuid4().hex}", tenant.id, key.id)
    assert first.sequence_id > 0 and second.sequence_id != first.sequence_id
    streaming = repos.connections.update(
        first.connection_id,
        state=ConnectionState.STREAMING,
        task="asr",
        source_language="en",
        sample_rate=16000,
        add_audio_seconds=0.25,
    )
    streaming = repos.connections.update(first.connection_id, add_audio_seconds=0.25)
    assert streaming.state is ConnectionState.STREAMING and streaming.audio_seconds == pytest.approx(0.5)
    assert {c.connection_id for c in repos.connections.list_open_for_tenant(tenant.id)} == {
        first.connection_id,
        second.connection_id,
    }
    closed = repos.connections.close(first.connection_id)
    assert closed.state is ConnectionState.CLOSED and closed.disconnected_at is not None
    with pytest.raises(RequestError):
        repos.connections.update(first.connection_id, add_audio_seconds=1.0)
    assert repos.connections.close("never-opened") is None


def test_results_are_written_with_their_request_log_row_once(repos):
    tenant, key = _tenant_with_key(repos)
    entry = _entry(tenant, key)
    result = NewResult(
        tenant_id=tenant.id,
        request_id=entry.request_id,
        task="asr",
        transcript="hello",
        segments=[Segment(start_s=0.0, end_s=0.5, text="hello")],
    )
    assert repos.request_log.record(entry, results=[result]) is True
    # a retried write of the same call adds neither a log row nor a second result
    assert repos.request_log.record(entry, results=[result]) is False
    (stored,) = repos.results.for_request(tenant.id, entry.request_id)
    assert stored.transcript == "hello" and stored.segments[0].end_s == 0.5
