"""The jobs API over HTTP on the local cloud, like a client: create from an upload, read, page, filter,
idempotency, cancel, retry, delete, tenant isolation and refusals.

Whether the workflow finishes a job is the workflow suite's business (test_batch_*); here a job only has to
be accepted and visible, queued or further along.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from speech_core.db.repositories import get_repositories
from speech_core.keys import Scope, get_api_key_service
from tests.e2e.conftest import LocalCloud

EN = {"language": {"sourceLanguage": "en"}}
NOT_FAILED = {"queued", "running", "succeeded"}


@pytest.fixture(scope="module")
def jobs_api(local_cloud: LocalCloud, make_key: Callable[..., str]) -> Iterator[httpx.Client]:
    with local_cloud.client(make_key([Scope.JOBS])) as client:
        yield client


@pytest.fixture(scope="module")
def other_tenant_api(local_cloud: LocalCloud) -> Iterator[httpx.Client]:
    """A client of another tenant (made as an operator would, with the key service)."""
    tenant = get_repositories(local_cloud.database_url).tenants.create(f"e2e-other-{uuid.uuid4().hex[:8]}", "Other")
    key = get_api_key_service(local_cloud.database_url).create_key(tenant.id, "e2e", [Scope.JOBS])
    with local_cloud.client(key.plaintext) as client:
        yield client


def upload(client: httpx.Client, audio: bytes) -> str:
    """PUT a recording through POST /v1/uploads; returns its audioUri."""
    ticket = client.post("v1/uploads", json={"fileName": "talk.wav", "contentType": "audio/wav"})
    assert ticket.status_code == 200, ticket.text
    put = httpx.put(ticket.json()["uploadUrl"], content=audio, headers=ticket.json()["headers"], timeout=30)
    assert put.status_code == 200, put.text
    return str(ticket.json()["audioUri"])


def create(client: httpx.Client, audio_uri: str, **fields: object) -> httpx.Response:
    return client.post("v1/jobs", json={"audioUri": audio_uri, "config": EN, **fields})


@pytest.fixture(scope="module")
def audio_uri(jobs_api: httpx.Client, goforward_wav: bytes) -> str:
    return upload(jobs_api, goforward_wav)


def test_create_from_an_upload_then_read_it(jobs_api: httpx.Client, audio_uri: str) -> None:
    # Given an upload, When a job is created for it
    response = create(jobs_api, audio_uri, outputFormats=["srt", "txt"], subtitles={"maxCharsPerLine": 32})
    # Then it is accepted (202) and readable, with its progress
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["state"] in NOT_FAILED and job["source"] == "api" and job["attempt"] == 1
    assert job["outputFormats"] == ["srt", "txt"] and job["audioUri"] == audio_uri
    got = jobs_api.get(f"v1/jobs/{job['jobId']}")
    assert got.status_code == 200, got.text
    assert got.json()["jobId"] == job["jobId"] and got.json()["state"] in NOT_FAILED
    assert set(got.json()["progress"]) >= {"audioSeconds", "chunksDone", "fraction"}
    # and its transcript so far answers in the asked format
    transcript = jobs_api.get(f"v1/jobs/{job['jobId']}/transcript", params={"format": "vtt"})
    assert transcript.status_code == 200, transcript.text
    assert transcript.text.startswith("WEBVTT") and transcript.headers["content-type"].startswith("text/vtt")
    assert transcript.headers["x-transcript-complete"] in {"true", "false"}


def test_a_retried_create_with_the_same_idempotency_key_makes_one_job(jobs_api: httpx.Client, audio_uri: str) -> None:
    key = f"e2e-{uuid.uuid4()}"
    first = create(jobs_api, audio_uri, idempotencyKey=key)
    second = create(jobs_api, audio_uri, idempotencyKey=key)
    assert first.status_code == second.status_code == 202, second.text
    assert first.json()["jobId"] == second.json()["jobId"]
    assert create(jobs_api, audio_uri).json()["jobId"] != first.json()["jobId"]


def test_pages_with_a_cursor_and_a_state_filter(jobs_api: httpx.Client, audio_uri: str) -> None:
    # Given three new jobs, one of them cancelled
    ids = [create(jobs_api, audio_uri).json()["jobId"] for _ in range(3)]
    assert jobs_api.post(f"v1/jobs/{ids[1]}/cancel").status_code == 200
    # When every page of two is read
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = jobs_api.get("v1/jobs", params=params)
        assert page.status_code == 200, page.text
        assert len(page.json()["jobs"]) <= 2
        seen += [job["jobId"] for job in page.json()["jobs"]]
        cursor = page.json().get("nextCursor")
        if cursor is None:
            break
    # Then each job comes once, newest first
    assert len(seen) == len(set(seen)) and [i for i in seen if i in ids] == ids[::-1]
    # and the state filter returns the cancelled one and no job in another state
    cancelled = jobs_api.get("v1/jobs", params={"state": "cancelled", "limit": 100}).json()["jobs"]
    assert ids[1] in {job["jobId"] for job in cancelled} and {job["state"] for job in cancelled} == {"cancelled"}
    bad = jobs_api.get("v1/jobs", params={"cursor": "not-a-cursor"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "request.invalid")


def test_cancel_then_retry_then_delete(jobs_api: httpx.Client, goforward_wav: bytes) -> None:
    audio_uri = upload(jobs_api, goforward_wav)
    job_id = create(jobs_api, audio_uri).json()["jobId"]
    # a job that did not fail or get cancelled cannot be retried
    refused = jobs_api.post(f"v1/jobs/{job_id}/retry")
    if refused.status_code != 409:  # the workflow may already have finished it, and a failed job may retry
        pytest.skip(f"the job moved on before the retry check: {refused.text}")
    assert refused.json()["error"]["code"] == "job.not_retryable"
    # cancel: the job is cancelled, and cancelling again is a conflict
    cancelled = jobs_api.post(f"v1/jobs/{job_id}/cancel")
    if cancelled.status_code == 409:
        pytest.skip(f"the job finished before it could be cancelled: {cancelled.text}")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled" and cancelled.json()["finishedAt"]
    again = jobs_api.post(f"v1/jobs/{job_id}/cancel")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "job.already_finished")
    # retry of a cancelled job: queued again as attempt 2
    retried = jobs_api.post(f"v1/jobs/{job_id}/retry")
    assert retried.status_code == 202, retried.text
    assert retried.json()["attempt"] == 2 and retried.json()["state"] in NOT_FAILED
    # delete: 204, then the job is gone, and so is its upload (a new job for it is refused)
    deleted = jobs_api.delete(f"v1/jobs/{job_id}")
    assert deleted.status_code == 204, deleted.text
    gone = jobs_api.get(f"v1/jobs/{job_id}")
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "resource.not_found")
    assert jobs_api.delete(f"v1/jobs/{job_id}").status_code == 404
    refused_input = create(jobs_api, audio_uri)
    assert (refused_input.status_code, refused_input.json()["error"]["code"]) == (403, "audio.uri_forbidden")


def test_another_tenants_job_is_not_found(
    jobs_api: httpx.Client, other_tenant_api: httpx.Client, audio_uri: str
) -> None:
    job_id = create(jobs_api, audio_uri).json()["jobId"]
    for method, path in (
        ("GET", f"v1/jobs/{job_id}"),
        ("GET", f"v1/jobs/{job_id}/transcript"),
        ("POST", f"v1/jobs/{job_id}/cancel"),
        ("POST", f"v1/jobs/{job_id}/retry"),
        ("DELETE", f"v1/jobs/{job_id}"),
    ):
        response = other_tenant_api.request(method, path)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "resource.not_found"), path
    assert job_id not in {job["jobId"] for job in other_tenant_api.get("v1/jobs").json()["jobs"]}
    # nor can it make a job of the first tenant's upload
    stolen = create(other_tenant_api, audio_uri)
    assert (stolen.status_code, stolen.json()["error"]["code"]) == (403, "audio.uri_forbidden")
    # and the job is untouched
    assert jobs_api.get(f"v1/jobs/{job_id}").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"audioUri": None}, 400, "request.invalid"),
        ({"audioUri": "https://example.com/a.wav", "config": EN}, 400, "request.invalid"),
        ({"audioUri": "s3://somebody-elses-bucket/a.wav", "config": EN}, 403, "audio.uri_forbidden"),
        ({"outputFormats": ["docx"]}, 400, "request.invalid"),
        ({"subtitles": {"maxCharsPerLine": 1000}}, 400, "request.invalid"),
        ({"config": {"language": {"sourceLanguage": "ta"}}}, 400, "language.unsupported"),
    ],
)
def test_bad_input_is_a_4xx_with_a_code(
    jobs_api: httpx.Client, audio_uri: str, body: dict[str, object], status: int, code: str
) -> None:
    response = jobs_api.post("v1/jobs", json={"audioUri": audio_uri, "config": EN, **body})
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text


def test_an_unknown_job_and_a_key_without_the_jobs_scope(
    jobs_api: httpx.Client, local_cloud: LocalCloud, make_key: Callable[..., str]
) -> None:
    missing = jobs_api.get(f"v1/jobs/{uuid.uuid4()}")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "resource.not_found")
    with local_cloud.client(make_key([Scope.ASR])) as asr_only:
        refused = asr_only.get("v1/jobs")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "auth.insufficient_scope")
