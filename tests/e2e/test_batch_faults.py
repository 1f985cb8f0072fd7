"""Batch fault tests on the local cloud (issue 11, "Done when"): a chunk that keeps failing ends the job FAILED
naming it and `retry` reruns only that chunk; a webhook receiver answering 500 then 200 gets one verified
delivery. Real parts only: the fault is a chunk object taken out of the audio bucket (as an expired lifecycle
rule or an operator's mistake would), the receiver a real HTTP server on loopback (allowed in the local stage).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from local_cloud.cloudformation_deployer import aws_client
from speech_core.db.records import ChunkState, JobChunkRecord, JobRecord, JobState
from speech_core.db.repositories import get_repositories
from speech_core.keys import Scope
from speech_core.notify import stage_signing_key, tenant_webhook_secret, verify_signature
from speech_core.settings import get_notify_settings
from tests.e2e.conftest import LocalCloud
from tests.e2e.test_batch_jobs import EN, dev_tenant_id, drop, job_for_key, map_states_run, upload, wait_for
from tests.unit.batch.long_recording import build_long_recording

#: the Map retries a ChunkFailed task 3 times (infra_cdk/capabilities/workflow.py): 4 tries in all
CHUNK_TRIES = 4


@pytest.fixture(scope="module")
def s3(local_cloud: LocalCloud) -> Any:
    return aws_client("s3", local_cloud.localstack_endpoint)


@pytest.fixture(scope="module")
def jobs_api(local_cloud: LocalCloud, make_key: Callable[..., str]) -> Iterator[httpx.Client]:
    with local_cloud.client(make_key([Scope.JOBS])) as client:
        yield client


def chunks_once_prepared(local_cloud: LocalCloud, job: JobRecord, timeout_s: float = 180) -> list[JobChunkRecord]:
    """The job's chunk rows, as soon as prepare has written them (polled closely: the Map starts right after)."""
    repositories = get_repositories(local_cloud.database_url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        chunks = repositories.job_chunks.list_chunks(job.id)
        if chunks:
            return chunks
        current = repositories.jobs.get(job.tenant_id, job.id)
        assert current is not None and not current.state.is_final, current and current.error_message
        time.sleep(0.1)
    raise AssertionError(f"job {job.id} was not prepared within {timeout_s} s")


@pytest.mark.parametrize(
    ("repeats", "map_state"),
    [
        (2, "TranscribeChunks"),
        # 17 chunks, over the local stage's distributed_map_min_chunks (16): the Distributed Map, which tolerates a
        # failed item, so here assemble is what fails the job naming the chunk
        (9, "TranscribeChunksDistributed"),
    ],
    ids=["inline-map", "distributed-map"],
)
def test_a_chunk_that_keeps_failing_fails_the_job_naming_it_and_retry_reruns_only_that_chunk(
    local_cloud: LocalCloud, s3: Any, jobs_api: httpx.Client, repeats: int, map_state: str
) -> None:
    repositories = get_repositories(local_cloud.database_url)
    audio_bucket = local_cloud.outputs["AudioBucketName"]
    # Given a recording of several chunks (more than the local Map's concurrency of 2, so the last one waits)
    key = drop(s3, local_cloud, "lost-chunk.wav", build_long_recording(repeats=repeats).wav_bytes(), language="en")
    (job,) = job_for_key(local_cloud, key)
    chunks = chunks_once_prepared(local_cloud, job)
    assert len(chunks) >= 3, [c.num_samples for c in chunks]
    # When the last chunk's audio disappears from the bucket before it is transcribed
    lost = chunks[-1]
    assert lost.object_key == f"chunks/{job.tenant_id}/{job.id}/{lost.index:05d}.wav"
    original = s3.get_object(Bucket=audio_bucket, Key=lost.object_key)["Body"].read()
    s3.delete_object(Bucket=audio_bucket, Key=lost.object_key)
    row = repositories.job_chunks.get_chunk(job.id, lost.index)
    assert row is not None and row.state is ChunkState.PENDING, "the chunk was transcribed before it was removed"
    # Then it is tried again (the Map's retries), and the job ends FAILED with a reason naming that chunk
    failed = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED})
    assert failed.state is JobState.FAILED
    assert failed.error_code == "job.chunk_failed"
    assert failed.error_message is not None
    assert failed.error_message.startswith(f"chunk {lost.index} at {lost.start_sample / 16000:.3f}s: audio.empty")
    assert failed.execution_arn and map_state in map_states_run(local_cloud, failed.execution_arn)
    after_failure = {c.index: c for c in repositories.job_chunks.list_chunks(job.id)}
    broken = after_failure[lost.index]
    assert broken.state is ChunkState.FAILED and broken.error_code == "audio.empty"
    assert broken.attempts == CHUNK_TRIES, broken.attempts
    others = {i: c for i, c in after_failure.items() if i != lost.index}
    assert all(c.state is ChunkState.DONE and c.attempts == 1 for c in others.values()), others
    view = jobs_api.get(f"v1/jobs/{job.id}").json()
    assert view["state"] == "failed" and view["error"]["code"] == "job.chunk_failed"
    assert view["error"]["message"] == failed.error_message

    # When the cause is fixed (the chunk's audio is back) and the job is retried through the API
    s3.put_object(Bucket=audio_bucket, Key=lost.object_key, Body=original, ContentType="audio/wav")
    response = jobs_api.post(f"v1/jobs/{job.id}/retry")
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "queued" and response.json()["attempt"] == 2
    # Then the job succeeds with every chunk done...
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED})
    assert done.state is JobState.SUCCEEDED, (done.error_code, done.error_message)
    assert done.attempt == 2 and done.chunks_done == done.chunks_total == len(chunks)
    assert done.execution_arn and map_state in map_states_run(local_cloud, done.execution_arn)
    assert set(done.outputs) == {"json", "txt", "srt", "vtt"}
    final = {c.index: c for c in repositories.job_chunks.list_chunks(job.id)}
    assert all(c.state is ChunkState.DONE for c in final.values())
    # ...having transcribed only the lost chunk again: one more try for it, the others untouched
    assert final[lost.index].attempts == CHUNK_TRIES + 1 and final[lost.index].transcript
    for index, before in others.items():
        assert (final[index].attempts, final[index].updated_at) == (before.attempts, before.updated_at), index
    # and the job is metered once for its successful attempt only
    metered = [r for r in repositories.request_log.list_for_tenant(done.tenant_id, 500) if str(done.id) in r.request_id]
    assert [r.request_id for r in metered] == [f"job-{done.id}-a2"]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class FlakyReceiver:
    """A webhook receiver that answers 500 to the first request and 200 to every later one."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture(scope="module")
def receiver() -> Iterator[FlakyReceiver]:
    lock = threading.Lock()
    holder: list[FlakyReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with lock:
                answer = 500 if not holder[0].requests else 200
                holder[0].requests.append(Received(dict(self.headers.items()), body, answer))
            self.send_response(answer)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(FlakyReceiver(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()


def test_a_webhook_answered_500_then_200_is_delivered_once_and_verifies(
    local_cloud: LocalCloud, jobs_api: httpx.Client, goforward_wav: bytes, receiver: FlakyReceiver
) -> None:
    # Given a job with a webhook whose receiver fails its first request
    audio_uri = upload(jobs_api, goforward_wav)
    body = {"audioUri": audio_uri, "config": EN, "webhook": {"url": receiver.url}}
    response = jobs_api.post("v1/jobs", json=body)
    assert response.status_code == 202, response.text
    job_id = uuid.UUID(response.json()["jobId"])
    repositories = get_repositories(local_cloud.database_url)
    tenant_id = dev_tenant_id(local_cloud)
    job = repositories.jobs.get(tenant_id, job_id)
    assert job is not None
    # When the job finishes
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED}, timeout_s=300)
    assert done.state is JobState.SUCCEEDED, (done.error_code, done.error_message)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(r.answered == 200 for r in receiver.requests):
        time.sleep(0.5)
    time.sleep(3)  # nothing more comes after the accepted try
    # Then the receiver got the failed try and exactly one accepted one: the same delivery, the same id
    assert [r.answered for r in receiver.requests] == [500, 200], receiver.requests
    # each signed with the tenant's secret, derived as `speech-admin webhook-secret` does from the stage's key
    # (the local stage has no signing secret in Secrets Manager: its key is the development key)
    secret = tenant_webhook_secret(stage_signing_key(get_notify_settings()), tenant_id)
    ids = {verify_signature(secret, r.headers, r.body) for r in receiver.requests}
    assert len(ids) == 1
    delivery_id = ids.pop()
    payload = json.loads(receiver.requests[1].body)
    assert payload["type"] == "job.succeeded"
    assert payload["data"]["jobId"] == str(job_id) and payload["data"]["state"] == "succeeded"
    assert payload["data"]["billedAudioSeconds"] == pytest.approx(done.billed_audio_seconds)
    # and both tries are recorded under that id
    deliveries = sorted(repositories.webhook_deliveries.list_deliveries(job_id), key=lambda d: d.attempt)
    assert [(str(d.id), d.attempt, d.status_code, d.delivered) for d in deliveries] == [
        (delivery_id, 1, 500, False),
        (delivery_id, 2, 200, True),
    ]
