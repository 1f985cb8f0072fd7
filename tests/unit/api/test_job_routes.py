"""The jobs routes in-process, with fakes: status codes, the wire shape, scope, validation, 404 across tenants."""

from __future__ import annotations

import uuid

import pytest

from functions.jobs.handle_create_job import handler as create_handler
from functions.jobs.handle_delete_job import handler as delete_handler
from functions.jobs.handle_get_job import handler as get_handler
from functions.jobs.handle_get_job_transcript import handler as transcript_handler
from functions.jobs.handle_list_jobs import handler as list_handler
from functions.jobs.handle_retry_job import handler as retry_handler
from speech_core.api.routes import jobs as job_routes
from tests.unit.api.conftest import TENANT_ID, LambdaContext, authorizer_context, call, rest_event
from tests.unit.services.job_fakes import fake_job_deps

UPLOAD = f"uploads/{TENANT_ID}/u1/talk.wav"


@pytest.fixture
def job_deps(deps, monkeypatch):
    job_deps = fake_job_deps()
    job_deps.objects.put("ingest", UPLOAD, b"RIFF....", "audio/wav")
    monkeypatch.setattr(job_routes, "job_deps_provider", lambda: job_deps)
    return job_deps


def _create(**fields):
    body = {"audioUri": f"s3://ingest/{UPLOAD}", "config": {"language": {"sourceLanguage": "en"}}, **fields}
    return call(create_handler, rest_event("POST", "/v1/jobs", body))


def test_create_answers_202_with_the_job_in_camel_case(job_deps):
    status, body, _ = _create(idempotencyKey="k-1", subtitles={"maxCharsPerLine": 32})
    assert status == 202, body
    assert body["state"] == "queued" and body["source"] == "api" and body["attempt"] == 1
    assert body["progress"] == {"audioSeconds": 0.0, "chunksDone": 0, "fraction": 0.0}
    assert body["outputFormats"] == ["json", "txt", "srt", "vtt"] and "results" not in body
    status, again, _ = _create(idempotencyKey="k-1")
    assert status == 202 and again["jobId"] == body["jobId"]


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"audioUri": "https://example.com/a.wav"}, 400, "request.invalid"),
        ({"outputFormats": ["docx"]}, 400, "request.invalid"),
        ({"outputFormats": []}, 400, "request.invalid"),
        ({"subtitles": {"maxCharsPerLine": 3}}, 400, "request.invalid"),
        ({"subtitles": {"linesPerCue": 9}}, 400, "request.invalid"),
        ({"webhook": {"url": "ftp://example.com/x"}}, 400, "request.invalid"),
        ({"webhook": {"url": "https://10.0.0.7/hook"}}, 400, "job.webhook_url_refused"),
        ({"idempotencyKey": "has space"}, 400, "request.invalid"),
        ({"config": {"language": {"sourceLanguage": "xx"}}}, 400, "language.unsupported"),
        ({"audioUri": f"s3://ingest/uploads/{uuid.uuid4()}/a.wav"}, 403, "audio.uri_forbidden"),
    ],
)
def test_create_refuses_bad_input_with_a_code(job_deps, fields, status, code):
    got, body, _ = _create(**fields)
    assert (got, body["error"]["code"]) == (status, code), body


def test_jobs_need_the_jobs_scope(job_deps):
    event = rest_event("GET", "/v1/jobs", authorizer=authorizer_context(scopes="asr"))
    status, body, _ = call(list_handler, event)
    assert (status, body["error"]["code"]) == (403, "auth.insufficient_scope")


def test_get_list_retry_transcript_delete(job_deps):
    _, job, _ = _create()
    path = f"/v1/jobs/{job['jobId']}"
    status, got, _ = call(get_handler, rest_event("GET", path))
    assert status == 200 and got["jobId"] == job["jobId"]
    status, page, _ = call(list_handler, rest_event("GET", "/v1/jobs", query={"state": "queued", "limit": "5"}))
    assert status == 200 and [j["jobId"] for j in page["jobs"]] == [job["jobId"]] and "nextCursor" not in page
    status, body, _ = call(list_handler, rest_event("GET", "/v1/jobs", query={"limit": "0"}))
    assert (status, body["error"]["code"]) == (400, "request.invalid")
    status, body, _ = call(retry_handler, rest_event("POST", f"{path}/retry"))
    assert (status, body["error"]["code"]) == (409, "job.not_retryable")
    response = transcript_handler(rest_event("GET", f"{path}/transcript", query={"format": "txt"}), LambdaContext())
    headers = {name: ",".join(values) for name, values in response["multiValueHeaders"].items()}
    assert response["statusCode"] == 200 and headers["X-Transcript-Complete"] == "false"
    assert headers["Content-Type"].startswith("text/plain")
    response = delete_handler(rest_event("DELETE", path), LambdaContext())
    assert response["statusCode"] == 204
    status, body, _ = call(get_handler, rest_event("GET", path))
    assert (status, body["error"]["code"]) == (404, "resource.not_found")


def test_a_job_id_that_is_no_uuid_is_a_400(job_deps):
    status, body, _ = call(get_handler, rest_event("GET", "/v1/jobs/not-a-uuid"))
    assert (status, body["error"]["code"]) == (400, "request.invalid")


def test_a_refused_create_body_is_in_the_request_log(deps, job_deps):
    status, _, _ = _create(outputFormats=["docx"])
    assert status == 400
    assert [(e.task, e.status, e.error_code) for e in deps.request_log.entries] == [("jobs", 400, "request.invalid")]


def test_a_jobs_post_processors_show_on_the_job_and_the_partial_transcripts_header(job_deps):
    config = {"language": {"sourceLanguage": "en"}, "postProcessors": ["itn", "punctuation"]}
    status, job, _ = _create(config=config)
    assert status == 202 and job["postProcessors"] == ["itn", "punctuation"]
    assert job["skippedPostProcessors"] == ["punctuation"]
    path = f"/v1/jobs/{job['jobId']}/transcript"
    response = transcript_handler(rest_event("GET", path, query={"format": "txt"}), LambdaContext())
    headers = {name: ",".join(values) for name, values in response["multiValueHeaders"].items()}
    assert response["statusCode"] == 200 and headers["X-Skipped-Post-Processors"] == "itn,punctuation"
