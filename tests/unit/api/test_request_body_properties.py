"""Property tests: whatever body and headers a client sends, every route answers a 4xx with the platform's
error shape and a code from `ErrorCode` (or a 2xx for a valid request), never a 5xx.

Each route's handler is called in-process with an API Gateway proxy event, as Lambda calls it, with fake
dependencies (fakes.py) whose request log refuses what PostgreSQL refuses in text (NUL, lone surrogates).
Strategies: arbitrary bytes (base64-encoded events) and text; arbitrary JSON written as raw text (deep
nesting, huge numbers, NaN/Infinity, NUL and unpaired surrogate escapes, duplicate keys); each route's
valid body with one value replaced by a wrong one at any depth; random headers (duplicate, huge,
non-ASCII, missing) and content types. Derandomized and without an example database: CI sees the same
examples on every run.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.asr.handle_transcribe_audio import handler as asr_handler
from functions.catalog.handle_get_openapi import handler as openapi_handler
from functions.catalog.handle_get_pipeline_config import handler as pipeline_config_handler
from functions.catalog.handle_get_usage import handler as usage_handler
from functions.catalog.handle_list_models import handler as models_handler
from functions.health.handle_get_health import handler as health_handler
from functions.jobs.handle_create_job import handler as create_job_handler
from functions.jobs.handle_create_upload import handler as upload_handler
from functions.jobs.handle_list_jobs import handler as list_jobs_handler
from functions.language_id.handle_identify_language import handler as language_id_handler
from functions.pipeline.handle_run_pipeline import handler as pipeline_handler
from functions.translation.handle_translate_text import handler as translation_handler
from functions.transliteration.handle_transliterate_text import handler as translit_handler
from functions.tts.handle_synthesize_speech import handler as tts_handler
from speech_core.api import call_context
from speech_core.api.routes import health
from speech_core.api.routes import jobs as job_routes
from speech_core.errors import HTTP_STATUS, ErrorCode
from tests.unit.api.conftest import LambdaContext, authorizer_context, rest_event, wav_base64
from tests.unit.api.fakes import FakeRateLimiter, FakeRequestLog, fake_deps
from tests.unit.services.job_fakes import FakeJobs, fake_job_deps

PROPERTY = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


@dataclass(frozen=True)
class Route:
    handler: Any
    method: str
    path: str
    valid: dict[str, Any] | None = None
    #: what a valid request answers
    success: int = 200
    #: headers every call carries besides any a test sends (the key the authorizer verified, which a route reads)
    headers: dict[str, str] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


EN = {"sourceLanguage": "en"}
EN_ES = {"language": {"sourceLanguage": "en", "targetLanguage": "es"}}
ASR = {"audio": [{"audioContent": wav_base64(0.5, rate=8000)}], "config": {"language": EN, "preProcessors": []}}
TTS = {"input": [{"source": "hello"}], "config": {"language": EN, "gender": "female", "samplingRate": 16000}}
TRANSLATION = {"input": [{"source": "one"}], "config": EN_ES, "controlConfig": {"dataTracking": True}}
TRANSLITERATION = {
    "input": [{"source": "namaste"}],
    "config": {"language": {"sourceLanguage": "en", "targetLanguage": "hi"}, "numSuggestions": 2},
}
LANGUAGE_ID = {"input": [{"source": "नमस्ते"}]}
PIPELINE = {
    "pipelineTasks": [
        {"taskType": "translation", "config": EN_ES},
        {"taskType": "tts", "config": {"language": {"sourceLanguage": "es"}, "gender": "female"}},
    ],
    "inputData": {"input": [{"source": "hello"}]},
}
UPLOAD = {"fileName": "meeting.wav", "contentType": "audio/wav"}
DISCOVERY = {
    "pipelineTasks": [{"taskType": "asr", "config": {"language": EN}}, {"taskType": "translation"}],
    "pipelineRequestConfig": {"pipelineId": "64392f96daac500b55c543cd"},
}
#: ULCA discovery answers with the key it was sent (the authorizer has verified it)
ULCA_KEY = {"ulcaApiKey": "spk_abcdefghijkl_" + "k" * 40, "userID": "u-1"}
JOB_UPLOAD = "uploads/11111111-1111-1111-1111-111111111111/u/talk.wav"
JOB = {
    "audioUri": f"s3://ingest/{JOB_UPLOAD}",
    "config": {"language": EN, "postProcessors": ["punctuation"]},
    "outputFormats": ["json", "srt"],
    "subtitles": {"maxCharsPerLine": 32, "linesPerCue": 2},
    "idempotencyKey": "order-1",
}

BODY_ROUTES = [
    Route(asr_handler, "POST", "/v1/asr", ASR),
    Route(asr_handler, "POST", "/services/inference/asr", ASR),
    Route(tts_handler, "POST", "/v1/tts", TTS),
    Route(tts_handler, "POST", "/services/inference/tts", TTS),
    Route(translation_handler, "POST", "/v1/nmt", TRANSLATION),
    Route(translation_handler, "POST", "/services/inference/translation", TRANSLATION),
    Route(translit_handler, "POST", "/v1/transliterate", TRANSLITERATION),
    Route(translit_handler, "POST", "/services/inference/transliteration", TRANSLITERATION),
    Route(language_id_handler, "POST", "/v1/detect-language", LANGUAGE_ID),
    Route(pipeline_handler, "POST", "/v1/pipeline", PIPELINE),
    Route(pipeline_handler, "POST", "/services/inference/pipeline", PIPELINE),
    Route(upload_handler, "POST", "/v1/uploads", UPLOAD),
    Route(create_job_handler, "POST", "/v1/jobs", JOB, success=202),
    Route(pipeline_config_handler, "POST", "/ulca/apis/v0/model/getModelsPipeline", DISCOVERY, headers=ULCA_KEY),
    Route(pipeline_config_handler, "POST", "/ulca/apis/v1/model/getModelsPipeline", DISCOVERY, headers=ULCA_KEY),
]
#: routes without a body: a body sent to them is ignored, but must not break them either
GET_ROUTES = [
    Route(models_handler, "GET", "/v1/models"),
    Route(usage_handler, "GET", "/v1/usage"),
    Route(openapi_handler, "GET", "/v1/openapi.json"),
    Route(health_handler, "GET", "/v1/health"),
    Route(list_jobs_handler, "GET", "/v1/jobs"),
]
ALL_ROUTES = BODY_ROUTES + GET_ROUTES


def _refuse_what_postgresql_refuses(value: Any, where: str) -> None:
    """PostgreSQL text holds neither NUL nor (being UTF-8) a lone surrogate: a fake that accepts them hides
    the 500 the real repository would raise."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"A string literal cannot contain NUL (0x00) characters ({where})")
        value.encode("utf-8")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_what_postgresql_refuses(key, where)
            _refuse_what_postgresql_refuses(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_what_postgresql_refuses(item, where)


class PostgresLikeRequestLog(FakeRequestLog):
    def record(self, entry, results=()) -> bool:
        _refuse_what_postgresql_refuses(entry.model_dump(), "request_log")
        for result in results:
            _refuse_what_postgresql_refuses(result.model_dump(), "results")
        self.entries.clear()  # thousands of calls: keep nothing
        self.results.clear()
        return super().record(entry, results)


class PostgresLikeJobs(FakeJobs):
    def create(self, job):
        _refuse_what_postgresql_refuses(job.model_dump(mode="json"), "jobs")
        return super().create(job)


@pytest.fixture(scope="module", autouse=True)
def fake_dependencies():
    deps = fake_deps(rate_limiter=FakeRateLimiter(allowed=10**12), request_log=PostgresLikeRequestLog())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(call_context, "deps_provider", lambda: deps)
        patch.setattr(health, "_database_ready", lambda: True)
        patch.setattr(health, "_triton_ready", lambda: True)
        job_deps = fake_job_deps(jobs=PostgresLikeJobs())
        job_deps.objects.put("ingest", JOB_UPLOAD, b"RIFF....", "audio/wav")
        patch.setattr(job_routes, "job_deps_provider", lambda: job_deps)
        yield deps


GENEROUS = authorizer_context(per_minute=1_000_000)


def send(
    route: Route,
    body: str | None,
    *,
    base64_encoded: bool = False,
    headers: dict[str, str] | None = None,
    multi_value_headers: dict[str, list[str]] | None = None,
    with_headers: bool = True,
) -> tuple[int, dict[str, Any]]:
    """Call the route's handler like Lambda does; check the answer is no 5xx and, if an error, the platform's
    error body with a known code whose status is the one answered."""
    event = rest_event(route.method, route.path, body, authorizer=dict(GENEROUS))
    event["isBase64Encoded"] = base64_encoded
    if not with_headers:
        event["headers"] = None
    elif headers is not None:
        event["headers"] = headers
    if multi_value_headers is not None:
        event["multiValueHeaders"] = multi_value_headers
    if route.headers is not None:
        event["headers"] = {**(event["headers"] or {}), **route.headers}
    response = route.handler(event, LambdaContext())
    status = response["statusCode"]
    sent = f"{'base64 ' if base64_encoded else ''}body {body!r:.300} headers {event['headers']!r:.200}"
    assert status < 500, f"{route} answered {status} to {sent}"
    answer = json.loads(response["body"])
    if status < 400:
        return status, answer
    assert set(answer) == {"error"}, answer
    error = answer["error"]
    assert {"code", "message", "requestId"} <= set(error) <= {"code", "message", "details", "requestId"}, error
    code = ErrorCode(error["code"])
    assert HTTP_STATUS[code] == status, (code, status)
    assert isinstance(error["message"], str) and error["message"]
    assert error["requestId"] == event["requestContext"]["requestId"]
    assert isinstance(error.get("details", {}), dict)
    return status, answer


# --- strategies ----------------------------------------------------------------------------------------------
#: any code point, with lone surrogates, NUL and a byte order mark made likely
CHARACTERS = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\x00", "\ufeff", "\U0001f600", '"', "\\", "{", "["]),
)
ANY_TEXT = st.text(CHARACTERS, max_size=40)


def _string_literal(text: str, ascii_only: bool) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)


STRING_LITERALS = st.one_of(
    st.builds(_string_literal, ANY_TEXT, st.booleans()),
    st.sampled_from(
        [
            r'"\ud800"',  # unpaired high surrogate escape
            r'"\udc00"',  # unpaired low surrogate escape
            r'"\udc00\ud800"',  # pair in the wrong order
            r'"\ud83d\ude00"',  # a valid pair (U+1F600)
            r'"a\u0000b"',  # NUL
            r'"\\ud800"',  # an escaped backslash, then text: no surrogate
            r'"\x41"',  # invalid escape
            r'"\u12"',  # truncated escape
            '"unterminated',
            '"tab\tinside"',  # raw control character
        ]
    ),
)
NUMBER_LITERALS = st.one_of(
    st.integers().map(str),
    st.integers(min_value=300, max_value=6000).map(lambda digits: "9" * digits),
    st.integers(min_value=300, max_value=6000).map(lambda digits: "-1" + "0" * digits),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e-999", "1.5e308", "0.1e400", "-0", "01"]),
    st.integers(min_value=300, max_value=5000).map(lambda digits: "0." + "1" * digits),
)
SCALAR_LITERALS = st.one_of(st.sampled_from(["null", "true", "false"]), NUMBER_LITERALS, STRING_LITERALS)
#: object keys from a few names, so that duplicates are frequent
KEYS = st.one_of(st.sampled_from(['"a"', '"input"', '"config"', '"audio"', '"a"', r'"\u0061"']), STRING_LITERALS)


def _array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


def _object(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{key}:{value}" for key, value in pairs) + "}"


JSON_LITERALS = st.recursive(
    SCALAR_LITERALS,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(_array),
        st.lists(st.tuples(KEYS, children), max_size=4).map(_object),
    ),
    max_leaves=12,
)


@st.composite
def deeply_nested(draw: st.DrawFn) -> str:
    depth = draw(st.integers(min_value=20, max_value=3000))
    opening = draw(st.sampled_from(["[", '{"a":', '{"input":[']))
    closing = {"[": "]", '{"a":': "}", '{"input":[': "]}"}[opening]
    inner = draw(SCALAR_LITERALS)
    closed = draw(st.booleans())
    return opening * depth + inner + (closing * depth if closed else "")


ANY_JSON_TEXT = st.one_of(
    JSON_LITERALS,
    JSON_LITERALS.map(lambda value: _object([('"x"', value)])),
    deeply_nested(),
    st.builds(lambda a, b: a + b, JSON_LITERALS, JSON_LITERALS),  # trailing data
    st.builds(lambda value, pad: pad + value + pad, JSON_LITERALS, st.sampled_from(["", " ", "\ufeff", "\n\t"])),
)

_MARK = "\u2063MARK\u2063"  # a string no valid body holds; replaced by raw JSON text after json.dumps


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], replacement: Any) -> Any:
    if not path:
        return replacement
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replaced(value[head], tuple(rest), replacement)
    return copy


@st.composite
def shaped_with_a_wrong_value(draw: st.DrawFn, valid: dict[str, Any]) -> str:
    """The route's valid body with the value at one path (any depth, the root too) replaced by a wrong one:
    another type, a huge number, a bad string, a deep nest, or that key written twice."""
    path = draw(st.sampled_from(_paths(valid)))
    wrong = draw(st.one_of(JSON_LITERALS, deeply_nested(), st.just("DUPLICATE")))
    if wrong == "DUPLICATE" and path and isinstance(path[-1], str):
        # the key again, in the same object, with another value
        text = json.dumps(_replaced(valid, path, _MARK), ensure_ascii=draw(st.booleans()))
        duplicate = draw(JSON_LITERALS)
        key = json.dumps(path[-1])
        return text.replace(f'{key}: "{_MARK}"', f"{key}: {duplicate}, {key}: {duplicate}")
    if wrong == "DUPLICATE":
        wrong = "null"
    text = json.dumps(_replaced(valid, path, _MARK), ensure_ascii=draw(st.booleans()))
    return text.replace(f'"{_MARK}"', wrong)


HEADER_NAMES = st.one_of(
    st.sampled_from(["content-type", "Content-Type", "CONTENT-TYPE", "content-length", "x-api-key", "accept"]),
    st.text(CHARACTERS, min_size=1, max_size=20),
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "application/json; charset=utf-16",
            "text/plain",
            "text/plain; charset=utf-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "application/vnd.api+json",
            "",
            "*/*",
            "application/json, text/plain",
        ]
    ),
    ANY_TEXT,
)
HEADER_VALUES = st.one_of(ANY_TEXT, CONTENT_TYPES, st.integers(1, 20_000).map(lambda n: "x" * n))


@st.composite
def header_sets(draw: st.DrawFn) -> dict[str, Any]:
    """`headers` and `multiValueHeaders` as API Gateway sends them (the last value of a repeated header in the
    first), or missing altogether."""
    if draw(st.integers(0, 9)) == 0:
        return {"with_headers": False}
    repeated = draw(st.dictionaries(HEADER_NAMES, st.lists(HEADER_VALUES, min_size=1, max_size=3), max_size=6))
    content_types = draw(st.lists(CONTENT_TYPES, max_size=3))
    if content_types:
        repeated[draw(st.sampled_from(["content-type", "Content-Type"]))] = content_types
    return {
        "headers": {name: values[-1] for name, values in repeated.items()},
        "multi_value_headers": repeated if draw(st.booleans()) else None,
    }


# --- properties ---------------------------------------------------------------------------------------------
def route_id(route: Route) -> str:
    return str(route)


@pytest.mark.parametrize("route", ALL_ROUTES, ids=route_id)
@PROPERTY
@given(body=st.binary(max_size=300))
def test_any_bytes_base64_encoded(route: Route, body: bytes) -> None:
    send(route, base64.b64encode(body).decode(), base64_encoded=True)


@pytest.mark.parametrize("route", ALL_ROUTES, ids=route_id)
@PROPERTY
@given(body=st.one_of(st.text(CHARACTERS, max_size=300), st.text(CHARACTERS, max_size=40).map(lambda t: "{" + t)))
def test_any_text_as_body_or_as_base64(route: Route, body: str) -> None:
    send(route, body)
    send(route, body, base64_encoded=True)  # rarely valid base64: must be a 400, never a 5xx


@pytest.mark.parametrize("route", ALL_ROUTES, ids=route_id)
@PROPERTY
@given(body=ANY_JSON_TEXT, as_base64=st.booleans())
def test_any_json(route: Route, body: str, as_base64: bool) -> None:
    if as_base64:
        send(route, base64.b64encode(body.encode("utf-8", "surrogatepass")).decode(), base64_encoded=True)
    else:
        send(route, body)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=route_id)
@PROPERTY
@given(data=st.data())
def test_the_route_shape_with_a_wrong_value_at_any_depth(route: Route, data: st.DataObject) -> None:
    assert route.valid is not None
    send(route, data.draw(shaped_with_a_wrong_value(route.valid)))


@pytest.mark.parametrize("route", ALL_ROUTES, ids=route_id)
@PROPERTY
@given(headers=header_sets(), as_base64=st.booleans())
def test_a_valid_request_succeeds_whatever_its_headers(route: Route, headers: dict[str, Any], as_base64: bool) -> None:
    body = None if route.valid is None else json.dumps(route.valid)
    if as_base64 and body is not None:
        body = base64.b64encode(body.encode()).decode()
    status, answer = send(route, body, base64_encoded=as_base64 and body is not None, **headers)
    assert status == route.success, answer


@pytest.mark.parametrize("route", BODY_ROUTES, ids=route_id)
def test_each_valid_body_succeeds(route: Route) -> None:
    """The shapes above are valid: what the properties change is what makes them fail."""
    assert route.valid is not None
    status, answer = send(route, json.dumps(route.valid))
    assert status == route.success, answer


NMT = Route(translation_handler, "POST", "/v1/nmt", TRANSLATION)
UPLOADS = Route(upload_handler, "POST", "/v1/uploads", UPLOAD)
VALID_NMT = json.dumps(TRANSLATION)
#: bodies (and headers) that answered 500 before the body gate; each is now a 4xx with a code, or accepted
ONCE_500 = [
    pytest.param(NMT, "gA==", True, None, 400, id="base64 body that is not UTF-8"),
    pytest.param(NMT, "0", True, None, 400, id="body marked base64 that is not base64"),
    pytest.param(NMT, '{"x": ' + "9" * 5000 + "}", False, None, 400, id="5000-digit integer"),
    pytest.param(UPLOADS, "[" * 100_000 + "]" * 100_000, False, None, 400, id="arrays nested 100000 deep"),
    pytest.param(NMT, '{"input":' * 5000 + "1" + "}" * 5000, False, None, 400, id="objects nested 5000 deep"),
    pytest.param(NMT, VALID_NMT.replace('"one"', r'"\ud800"'), False, None, 400, id="unpaired surrogate escape"),
    pytest.param(NMT, VALID_NMT.replace('"one"', r'"a\u0000b"'), False, None, 400, id="NUL in text"),
    pytest.param(NMT, VALID_NMT, False, "text/plain", 200, id="valid JSON sent as text/plain"),
    pytest.param(NMT, VALID_NMT, False, "0", 200, id="valid JSON with content-type 0"),
    pytest.param(NMT, VALID_NMT, False, "multipart/form-data", 200, id="valid JSON sent as multipart"),
]


@pytest.mark.parametrize(("route", "body", "base64_encoded", "content_type", "status"), ONCE_500)
def test_bodies_that_once_answered_500(
    route: Route, body: str, base64_encoded: bool, content_type: str | None, status: int, fake_dependencies
) -> None:
    headers = None if content_type is None else {"content-type": content_type}
    counted, inferred = fake_dependencies.rate_limiter.counted, len(fake_dependencies.inference.calls)
    got, answer = send(route, body, base64_encoded=base64_encoded, headers=headers)
    assert got == status, answer
    if status >= 400:  # refused before any work: not counted by the limiter, no model called
        assert fake_dependencies.rate_limiter.counted == counted
        assert len(fake_dependencies.inference.calls) == inferred
        assert answer["error"]["code"] == "request.invalid" and answer["error"]["details"]["errors"][0]["type"]
