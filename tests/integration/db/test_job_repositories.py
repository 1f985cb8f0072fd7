"""Batch-job repositories against a real PostgreSQL: pages, retry, delete, chunks and progress, deliveries."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from speech_core.db.records import (
    ChunkState,
    ChunkWord,
    JobSource,
    JobState,
    NewApiKey,
    NewJob,
    NewJobChunk,
    NewWebhookDelivery,
    RequestLogEntry,
)
from speech_core.db.repositories import get_repositories
from speech_core.errors import ErrorCode, RequestError


@pytest.fixture
def repos(database_url):
    return get_repositories(database_url)


def _tenant(repos):
    return repos.tenants.create(f"t-{uuid.uuid4().hex[:8]}", "Tenant")


def _job(repos, tenant, key=None, **fields):
    job, _ = repos.jobs.create(
        NewJob(
            tenant_id=tenant.id,
            idempotency_key=key or uuid.uuid4().hex,
            input_bucket="ingest",
            input_key=f"uploads/{tenant.id}/a.wav",
            **fields,
        )
    )
    return job


def _chunks(count, samples=16_000):
    return [
        NewJobChunk(index=i, start_sample=i * samples, num_samples=samples, object_key=f"chunks/t/j/{i:05d}.wav")
        for i in range(count)
    ]


def test_new_job_has_the_batch_defaults(repos):
    tenant = _tenant(repos)
    job = _job(repos, tenant, source=JobSource.S3, webhook_url="https://example.com/hook", options={"a": 1})
    assert (job.source, job.attempt, job.chunks_done, job.audio_seconds_done) == (JobSource.S3, 1, 0, 0.0)
    assert job.chunks_total is None and job.audio_seconds_total is None and job.billed_audio_seconds is None
    assert job.webhook_url == "https://example.com/hook" and job.options == {"a": 1}


def test_pages_walk_every_job_newest_first_and_filter_by_state(repos):
    # Given five jobs, two of them failed
    tenant = _tenant(repos)
    jobs = [_job(repos, tenant) for _ in range(5)]
    for job in jobs[1:3]:
        repos.jobs.transition(job.id, JobState.FAILED, error_code="audio.corrupt", error_message="x")
    # When the client pages two at a time
    seen, after = [], None
    while True:
        page = repos.jobs.list_page(tenant.id, limit=2, after=after)
        seen += [j.id for j in page.jobs]
        if page.next_after is None:
            break
        after = page.next_after
    # Then every job comes once, newest first
    assert seen == [j.id for j in reversed(jobs)]
    # and a state filter returns only those
    failed = repos.jobs.list_page(tenant.id, limit=10, state=JobState.FAILED)
    assert {j.id for j in failed.jobs} == {jobs[1].id, jobs[2].id} and failed.next_after is None
    # and another tenant sees none of them
    assert repos.jobs.list_page(_tenant(repos).id).jobs == []


def test_retry_moves_failed_to_queued_as_the_next_attempt_and_keeps_done_chunks(repos):
    tenant = _tenant(repos)
    job = _job(repos, tenant)
    repos.jobs.transition(job.id, JobState.RUNNING, execution_arn="arn:x", audio_seconds_total=3.0)
    repos.job_chunks.put_chunks(job.id, _chunks(3))
    assert repos.job_chunks.mark_chunk_done(job.id, 0, "hello", None, "1")
    assert repos.job_chunks.mark_chunk_failed(job.id, 1, "model.failed", "boom")
    repos.jobs.transition(job.id, JobState.FAILED, error_code="job.chunk_failed", error_message="chunk 1")
    # When the job is retried
    retried = repos.jobs.retry(tenant.id, job.id)
    # Then it is queued as attempt 2 with its error cleared, and only the failed chunk is pending again
    assert (retried.state, retried.attempt, retried.error_code, retried.execution_arn) == (
        JobState.QUEUED,
        2,
        None,
        None,
    )
    assert retried.chunks_done == 1 and retried.finished_at is None
    states = [c.state for c in repos.job_chunks.list_chunks(job.id)]
    assert states == [ChunkState.DONE, ChunkState.PENDING, ChunkState.PENDING]
    # and a queued (or running, or succeeded) job cannot be retried
    with pytest.raises(RequestError) as caught:
        repos.jobs.retry(tenant.id, job.id)
    assert caught.value.code is ErrorCode.JOB_NOT_RETRYABLE and caught.value.http_status == 409
    # and another tenant's job is not found
    with pytest.raises(RequestError) as missing:
        repos.jobs.retry(_tenant(repos).id, job.id)
    assert missing.value.code is ErrorCode.RESOURCE_NOT_FOUND


def test_cancelled_job_can_be_retried(repos):
    tenant = _tenant(repos)
    job = _job(repos, tenant)
    repos.jobs.transition(job.id, JobState.CANCELLED)
    assert repos.jobs.retry(tenant.id, job.id).state is JobState.QUEUED


def test_delete_removes_the_job_with_its_chunks_and_deliveries(repos):
    tenant = _tenant(repos)
    job = _job(repos, tenant)
    repos.job_chunks.put_chunks(job.id, _chunks(2))
    repos.webhook_deliveries.record_delivery(
        NewWebhookDelivery(id=uuid.uuid4(), job_id=job.id, event="failed", url="https://x", attempt=1, delivered=True)
    )
    assert not repos.jobs.delete(_tenant(repos).id, job.id)  # not another tenant's
    assert repos.jobs.delete(tenant.id, job.id)
    assert repos.jobs.get(tenant.id, job.id) is None
    assert repos.job_chunks.list_chunks(job.id) == [] and repos.webhook_deliveries.list_deliveries(job.id) == []
    assert not repos.jobs.delete(tenant.id, job.id)


def test_put_chunks_is_idempotent_and_sets_the_total(repos):
    tenant = _tenant(repos)
    job = _job(repos, tenant)
    first = repos.job_chunks.put_chunks(job.id, _chunks(3))
    again = repos.job_chunks.put_chunks(job.id, _chunks(3))
    assert [c.index for c in first] == [0, 1, 2] and again == first
    assert all(c.state is ChunkState.PENDING and c.attempts == 0 for c in first)
    assert repos.jobs.get(tenant.id, job.id).chunks_total == 3
    assert repos.job_chunks.get_chunk(job.id, 2).start_sample == 32_000


def test_chunk_done_counts_progress_once_even_when_redelivered(repos):
    # Given a running job of 4 s in two chunks of 1 s and 3 s
    tenant = _tenant(repos)
    job = _job(repos, tenant)
    repos.jobs.transition(job.id, JobState.RUNNING, audio_seconds_total=4.0)
    repos.job_chunks.put_chunks(
        job.id,
        [
            NewJobChunk(index=0, start_sample=0, num_samples=16_000, object_key="c0"),
            NewJobChunk(index=1, start_sample=16_000, num_samples=48_000, object_key="c1"),
        ],
    )
    words = [ChunkWord(word="hello", start=0.1, end=0.4, confidence=0.9)]
    # When the second chunk is marked done twice (a redelivered message), concurrently
    with ThreadPoolExecutor(max_workers=2) as pool:
        marked = list(pool.map(lambda _: repos.job_chunks.mark_chunk_done(job.id, 1, "hello", words, "3"), range(2)))
    # Then exactly one call counted it
    assert sorted(marked) == [False, True]
    row = repos.jobs.get(tenant.id, job.id)
    assert (row.chunks_done, row.audio_seconds_done, row.progress) == (1, 3.0, 0.75)
    chunk = repos.job_chunks.get_chunk(job.id, 1)
    assert chunk.state is ChunkState.DONE and chunk.words == words and chunk.model_version == "3"
    # and a failure reported later for a done chunk changes nothing
    assert not repos.job_chunks.mark_chunk_failed(job.id, 1, "model.failed", "late")
    assert repos.job_chunks.get_chunk(job.id, 1).state is ChunkState.DONE


def test_chunk_of_a_job_that_is_not_running_is_not_written(repos):
    tenant = _tenant(repos)
    job = _job(repos, tenant)
    repos.job_chunks.put_chunks(job.id, _chunks(1))
    repos.jobs.transition(job.id, JobState.CANCELLED)
    assert not repos.job_chunks.mark_chunk_done(job.id, 0, "late", None, "1")
    assert repos.job_chunks.get_chunk(job.id, 0).state is ChunkState.PENDING
    assert repos.jobs.get(tenant.id, job.id).chunks_done == 0


def test_failed_chunks_reset_to_pending(repos):
    tenant = _tenant(repos)
    job = _job(repos, tenant)
    repos.job_chunks.put_chunks(job.id, _chunks(2))
    assert repos.job_chunks.mark_chunk_failed(job.id, 0, "model.failed", "boom")
    failed = repos.job_chunks.list_chunks(job.id, ChunkState.FAILED)
    assert [(c.index, c.attempts, c.error_code) for c in failed] == [(0, 1, "model.failed")]
    assert repos.job_chunks.reset_failed_chunks(job.id) == 1
    chunk = repos.job_chunks.get_chunk(job.id, 0)
    assert (chunk.state, chunk.error_code, chunk.attempts) == (ChunkState.PENDING, None, 1)


def test_webhook_deliveries_record_every_try_under_one_id(repos):
    tenant = _tenant(repos)
    job = _job(repos, tenant)
    delivery_id = uuid.uuid4()
    base = dict(id=delivery_id, job_id=job.id, event="succeeded", url="https://example.com/hook")
    repos.webhook_deliveries.record_delivery(NewWebhookDelivery(**base, attempt=1, status_code=500, delivered=False))
    repos.webhook_deliveries.record_delivery(NewWebhookDelivery(**base, attempt=2, status_code=200, delivered=True))
    # the same try recorded again (a redelivered step) overwrites, not duplicates
    repos.webhook_deliveries.record_delivery(NewWebhookDelivery(**base, attempt=2, status_code=200, delivered=True))
    rows = repos.webhook_deliveries.list_deliveries(job.id)
    assert [(r.id, r.attempt, r.status_code, r.delivered) for r in rows] == [
        (delivery_id, 1, 500, False),
        (delivery_id, 2, 200, True),
    ]


def _usage_entry(tenant, key_id=None, audio_seconds=60.0, request_id=None):
    return RequestLogEntry(
        request_id=request_id or f"job-{uuid.uuid4()}-a1",
        tenant_id=tenant.id,
        api_key_id=key_id,
        task="asr",
        audio_seconds=audio_seconds,
        status=200,
    )


def test_usage_no_key_made_is_one_row_per_tenant_day_and_task_beside_the_keys(repos):
    # Given a tenant with a key, and S3-drop jobs (no key) metered concurrently, one of them twice
    tenant, other = _tenant(repos), _tenant(repos)
    key = repos.api_keys.add(
        NewApiKey(
            tenant_id=tenant.id,
            name="k",
            prefix=f"spk_{uuid.uuid4().hex[:12]}",
            key_hash=b"\0" * 32,
            scopes=["jobs"],
            rate_per_minute=60,
            rate_per_hour=1000,
            daily_quota=10000,
        )
    )
    repeated = _usage_entry(tenant, audio_seconds=7.5)
    entries = [_usage_entry(tenant, audio_seconds=10.0) for _ in range(12)] + [repeated, repeated]
    with ThreadPoolExecutor(max_workers=6) as pool:
        written = list(pool.map(repos.request_log.record, entries))
    repos.request_log.record(_usage_entry(tenant, key.id, audio_seconds=3.0))
    repos.request_log.record(_usage_entry(other, audio_seconds=1.0))
    today = datetime.now(UTC).date()
    # Then the keyless usage is one row (the repeated one counted once), apart from the key's and the other tenant's
    assert written.count(False) == 1
    (row,) = repos.usage.daily_without_key(tenant.id, today)
    assert row.api_key_id is None and row.task == "asr" and row.day == today
    assert row.requests == 13 and row.audio_seconds == pytest.approx(127.5)
    (keyed,) = repos.usage.daily_for_key(tenant.id, key.id, today)
    assert keyed.requests == 1 and keyed.audio_seconds == pytest.approx(3.0)
    (others,) = repos.usage.daily_without_key(other.id, today)
    assert others.requests == 1 and others.tenant_id == other.id
