"""The served OpenAPI document against the running local stack, with schemathesis (4.x).

Given the document a client fetches from GET /v1/openapi.json (with a key, as a client would),
when schemathesis generates requests for every operation (mostly invalid bodies: wrong types, missing fields,
odd strings) and sends them through the local API Gateway, authorizer and functions,
then no answer is a 5xx, and every answer conforms to the document: its status code is declared for the
operation, its content type is declared, its body matches the declared schema, declared headers are present.

Generated bodies rarely make sense to the models (random base64 is no audio), so a second test sends one
known-valid request per operation (real audio, real text) and requires a 200 whose body passes the same checks.

The key used has limits far above what the run sends: the per-key limiter (429) is tested on its own in the
route tests, and here it would only hide the routes behind a refusal.
"""

from __future__ import annotations

import base64
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from speech_core.api.openapi import build_openapi
from speech_core.keys import KeyLimits, Scope

if TYPE_CHECKING:
    from tests.e2e.conftest import LocalCloud

#: every check that says "the server broke" or "the server answered something the document does not declare"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
#: per operation and mode (23 operations x 2 modes); ASR calls that reach the model cost ~0.3-0.5 s
MAX_EXAMPLES = 12
#: answers seen per test case, printed at the end (with -s) to show what the generated requests reached
STATUSES: defaultdict[str, Counter[int]] = defaultdict(Counter)
GENEROUS_LIMITS = KeyLimits(per_minute=1_000_000, per_hour=10_000_000, per_day=100_000_000)


@pytest.fixture(scope="module", autouse=True)
def print_statuses() -> Iterator[None]:
    yield
    for label, statuses in sorted(STATUSES.items()):
        print(f"{label}: " + ", ".join(f"{status} x{count}" for status, count in sorted(statuses.items())))


@pytest.fixture(scope="session")
def conformance_key(make_key: Callable[..., str]) -> str:
    return make_key(list(Scope), GENEROUS_LIMITS)


@pytest.fixture(scope="session")
def served_document(local_cloud: LocalCloud, conformance_key: str) -> dict[str, Any]:
    response = httpx.get(local_cloud.api_url + "v1/openapi.json", headers={"x-api-key": conformance_key}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


@pytest.fixture(scope="session")
def api_schema(local_cloud: LocalCloud, served_document: dict[str, Any]) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict({"base-url": local_cloud.api_url.rstrip("/"), "request-timeout": 60})
    return schemathesis.openapi.from_dict(served_document, config=config)


@pytest.fixture(scope="session")
def http_session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((method.upper(), path) for path, operations in document["paths"].items() for method in operations)


def _has_inputs(document: dict[str, Any], method: str, path: str) -> bool:
    operation = document["paths"][path][method.lower()]
    return bool(operation.get("parameters") or operation.get("requestBody") or operation.get("security"))


#: the operations of the document the code generates (the served one is checked to be the same), so each
#: operation is its own test case; schemathesis' own lazy parametrization does not run under pytest 9.2
#: (it sets `Function._nodeid`, which pytest 9.2 no longer has)
GENERATED = build_openapi()
OPERATIONS = _operations(GENERATED)
#: negative data needs something to break: an operation without parameters, body or key (GET /v1/health)
#: has no invalid request, so it runs in the positive mode only
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _has_inputs(GENERATED, method, path)
]


def test_the_served_document_is_the_generated_one(served_document: dict[str, Any]) -> None:
    assert _operations(served_document) == OPERATIONS
    assert set(served_document["components"]["securitySchemes"]) == {"apiKey", "bearer", "ulcaApiKey"}


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_every_operation_conforms_to_the_served_document(
    method: str,
    path: str,
    mode: GenerationMode,
    api_schema: schemathesis.BaseSchema,
    conformance_key: str,
    http_session: requests.Session,
) -> None:
    # Given generated requests for one operation: schema-valid (positive) or schema-invalid (negative)
    operation = api_schema[path][method]

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def send(case: schemathesis.Case) -> None:
        # When each is sent with a valid key; Then the answer is no 5xx and conforms to the document
        response = case.call_and_validate(session=http_session, headers={"x-api-key": conformance_key}, checks=CHECKS)
        STATUSES[f"{method} {path} {mode}"][response.status_code] += 1

    send()


def _valid_requests(goforward_wav: bytes) -> dict[tuple[str, str], dict[str, Any] | None]:
    audio = base64.b64encode(goforward_wav).decode()
    asr = {"audio": [{"audioContent": audio}], "config": {"language": {"sourceLanguage": "en"}}}
    tts = {
        "input": [{"source": "Go forward ten meters."}],
        "config": {"language": {"sourceLanguage": "en"}, "gender": "female"},
    }
    translation = {
        "input": [{"source": "The house is big."}],
        "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
    }
    transliteration = {
        "input": [{"source": "namaste"}],
        "config": {"language": {"sourceLanguage": "en", "targetLanguage": "hi"}},
    }
    pipeline = {
        "pipelineTasks": [
            {"taskType": "asr", "config": {"language": {"sourceLanguage": "en"}}},
            {"taskType": "translation", "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}}},
        ],
        "inputData": {"audio": [{"audioContent": audio}]},
    }
    return {
        ("POST", "/v1/asr"): asr,
        ("POST", "/services/inference/asr"): asr,
        ("POST", "/v1/tts"): tts,
        ("POST", "/services/inference/tts"): tts,
        ("POST", "/v1/nmt"): translation,
        ("POST", "/services/inference/translation"): translation,
        ("POST", "/v1/transliterate"): transliteration,
        ("POST", "/services/inference/transliteration"): transliteration,
        ("POST", "/v1/detect-language"): {"input": [{"source": "यह एक परीक्षण वाक्य है।"}]},
        ("POST", "/v1/pipeline"): pipeline,
        ("POST", "/services/inference/pipeline"): pipeline,
        ("POST", "/v1/uploads"): {"fileName": "meeting.wav", "contentType": "audio/wav"},
        ("POST", "/ulca/apis/{version}/model/getModelsPipeline"): {
            "pipelineTasks": [{"taskType": "asr"}, {"taskType": "translation"}, {"taskType": "tts"}],
            "pipelineRequestConfig": {"pipelineId": "64392f96daac500b55c543cd"},
        },
        ("GET", "/v1/jobs"): None,
        ("GET", "/v1/models"): None,
        ("GET", "/v1/usage"): None,
        ("GET", "/v1/openapi.json"): None,
        ("GET", "/v1/asyncapi.json"): None,
        ("GET", "/v1/health"): None,
    }


class JobCase(NamedTuple):
    """A valid request of a jobs operation: its body, the job it names (made when the request is sent, so the
    workflow cannot have finished it first), and the success it answers."""

    body: dict[str, Any] | None
    job_id: Callable[[], str] | None
    status: int


def _job_requests(api_url: str, key: str, goforward_wav: bytes) -> dict[tuple[str, str], JobCase]:
    """Valid requests for the jobs operations, each on a job of its own made through the API (the retried one
    cancelled first, since only a failed or cancelled job may be retried)."""
    headers = {"x-api-key": key}
    ticket = httpx.post(
        api_url + "v1/uploads", json={"fileName": "job.wav", "contentType": "audio/wav"}, headers=headers, timeout=30
    ).json()
    put = httpx.put(ticket["uploadUrl"], content=goforward_wav, headers=ticket["headers"], timeout=30)
    assert put.status_code == 200, put.text
    create = {"audioUri": ticket["audioUri"], "config": {"language": {"sourceLanguage": "en"}}}

    def new_job() -> str:
        response = httpx.post(api_url + "v1/jobs", json=create, headers=headers, timeout=30)
        assert response.status_code == 202, response.text
        return str(response.json()["jobId"])

    def cancelled_job() -> str:
        job_id = new_job()
        cancel = httpx.post(api_url + f"v1/jobs/{job_id}/cancel", headers=headers, timeout=30)
        assert cancel.status_code == 200, cancel.text
        return job_id

    readable = new_job()
    return {
        ("POST", "/v1/jobs"): JobCase(create, None, 202),
        ("GET", "/v1/jobs/{jobId}"): JobCase(None, lambda: readable, 200),
        ("GET", "/v1/jobs/{jobId}/transcript"): JobCase(None, lambda: readable, 200),
        ("POST", "/v1/jobs/{jobId}/cancel"): JobCase(None, new_job, 200),
        ("POST", "/v1/jobs/{jobId}/retry"): JobCase(None, cancelled_job, 202),
        # its upload is shared with the other jobs: deleted last, by the order below
        ("DELETE", "/v1/jobs/{jobId}"): JobCase(None, new_job, 204),
    }


def test_valid_requests_answer_200_with_conforming_bodies(
    api_schema: schemathesis.BaseSchema,
    served_document: dict[str, Any],
    goforward_wav: bytes,
    conformance_key: str,
    http_session: requests.Session,
    local_cloud: LocalCloud,
) -> None:
    # Given one real request per operation of the served document (none may be missing from this table)
    valid = {
        operation: JobCase(body, None, 200) for operation, body in _valid_requests(goforward_wav).items()
    } | _job_requests(local_cloud.api_url, conformance_key, goforward_wav)
    served = set(_operations(served_document))
    assert served == set(valid), f"operations without a valid request here: {sorted(served - set(valid))}"
    failures = []
    ordered = sorted(valid.items(), key=lambda item: (item[0][0] == "DELETE", item[0]))
    for (method, path), (body, job_id, status) in ordered:
        operation = api_schema[path][method]
        fields: dict[str, Any] = {}
        if body is not None:
            fields["body"] = body
        if job_id is not None:
            fields["path_parameters"] = {"jobId": job_id()}
        if "{version}" in path:  # ULCA discovery: v0 (v1 is the same)
            fields["path_parameters"] = {"version": "v0"}
        case = operation.Case(**fields)
        # When it is sent through the local stack
        response = case.call(session=http_session, headers={"x-api-key": conformance_key})
        # Then it is the operation's success (200, or 202/204 for the jobs that say so) with a described body
        if response.status_code != status:
            failures.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
            continue
        try:
            case.validate_response(response, checks=CHECKS)
        except AssertionError as error:
            failures.append(f"{method} {path}: {error}")
    assert not failures, "\n".join(failures)
