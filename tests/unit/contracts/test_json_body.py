"""The body gate's rules, one example each: what `read_json_object` and `api.request_body.json_body` accept
and refuse, with which code, status and error type (the property tests in tests/unit/api send the same
kinds of bodies through every route)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from speech_core.api.request_body import json_body
from speech_core.contracts import TranslationRequest, parse_request
from speech_core.contracts.limits import (
    MAX_BODY_BYTES,
    MAX_JSON_CONTAINERS,
    MAX_JSON_DEPTH,
    MAX_JSON_NUMBER_CHARS,
)
from speech_core.contracts.parsing import read_json_object
from speech_core.errors import ErrorCode, SpeechError


def refusal(body: str | bytes) -> tuple[ErrorCode, int, str]:
    with pytest.raises(SpeechError) as caught:
        read_json_object(body)
    error = caught.value
    kind = error.details["errors"][0]["type"] if "errors" in error.details else ""
    return error.code, error.http_status, kind


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("", "body_missing"),
        ("  \n", "body_missing"),
        ("{", "json_invalid"),
        ('{"a": 1} {"b": 2}', "json_invalid"),
        ('{"a": NaN}', "json_invalid"),
        ('{"a": -Infinity}', "json_invalid"),
        ('{"a": "tab\tinside"}', "json_invalid"),
        (r'{"a": "\x41"}', "json_invalid"),
        ("[1, 2]", "json_not_object"),
        ('"text"', "json_not_object"),
        ("null", "json_not_object"),
        ("12", "json_not_object"),
        ('{"a": 1, "a": 2}', "json_duplicate_key"),
        (r'{"a": 1, "\u0061": 2}', "json_duplicate_key"),
        ('{"a": [{"b": 1, "b": 1}]}', "json_duplicate_key"),
        ('{"a": ' + "9" * 5000 + "}", "json_number_too_long"),
        ('{"a": ' + "9" * (MAX_JSON_NUMBER_CHARS + 1) + "}", "json_number_too_long"),
        ('{"a": 0.' + "1" * MAX_JSON_NUMBER_CHARS + "}", "json_number_too_long"),
        ('{"a": 1e999}', "json_number_out_of_range"),
        ('{"a": -1e400}', "json_number_out_of_range"),
        ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "json_too_deep"),
        ('{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1), "json_too_deep"),
        ('{"a":' + "[{}," * MAX_JSON_DEPTH + "[]" + "]" * MAX_JSON_DEPTH + "}", "json_too_deep"),
        ("[" * 40, "json_too_deep"),  # unclosed, and deep
        ("[" * 100_000 + "]" * 100_000, "json_too_many_values"),
        ('{"a": [' + "{}," * MAX_JSON_CONTAINERS + "{}]}", "json_too_many_values"),
        (r'{"a": ["\ud800"]}', "text_invalid_character"),
        (r'{"a": "\udc00\ud800"}', "text_invalid_character"),
        (r'{"\udfff": 1}', "text_invalid_character"),
        (r'{"a": {"b": "x\u0000y"}}', "text_invalid_character"),
        (r'{"a": "\\\ud800"}', "text_invalid_character"),  # an escaped backslash, then a lone surrogate
        (r'{"a": "\\\\\u0000"}', "text_invalid_character"),
        (r'{"a": "\uDBFF\uDBFF\uDC00"}', "text_invalid_character"),  # the first high one is unpaired
        (r'{"a": "\uD800\uDC00\uDC00"}', "text_invalid_character"),  # the second low one is unpaired
        ('{"a": "\ud800"}', "utf8_invalid"),  # a lone surrogate in the text itself
        (b'{"a": "\xff"}', "utf8_invalid"),
        (b'{"a": "\xed\xa0\x80"}', "utf8_invalid"),  # a surrogate encoded as UTF-8
        (b"\xfe\xff\x00{", "utf8_invalid"),  # UTF-16
    ],
)
def test_refused_bodies_are_400_request_invalid_saying_why(body: str | bytes, kind: str) -> None:
    assert refusal(body) == (ErrorCode.REQUEST_INVALID, 400, kind)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('\ufeff{"a": 1}', {"a": 1}),  # a byte order mark is ignored
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),
        (r'{"a": "\ud83d\ude00"}', {"a": "\U0001f600"}),  # a surrogate pair is one character
        (r'{"a": "\\ud800"}', {"a": "\\ud800"}),  # an escaped backslash: text, not a surrogate
        (r'{"a": "\\u0000"}', {"a": "\\u0000"}),
        ('{"a": "नमस्ते", "b": "\U0001f600"}', {"a": "नमस्ते", "b": "\U0001f600"}),
        ('{"a": ' + "9" * MAX_JSON_NUMBER_CHARS + "}", {"a": int("9" * MAX_JSON_NUMBER_CHARS)}),
        ('{"a": 1.5e308, "b": -0, "c": 1e-999}', {"a": 1.5e308, "b": 0, "c": 0.0}),
        ('{"a":' * (MAX_JSON_DEPTH - 1) + "[1]" + "}" * (MAX_JSON_DEPTH - 1), None),
        ('{"a": [' + "{}," * (MAX_JSON_CONTAINERS - 3) + "{}]}", None),
        ('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', None),  # in a string
        ('{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', None),
    ],
)
def test_accepted_bodies(body: str | bytes, expected: dict | None) -> None:
    value = read_json_object(body)
    assert expected is None or value == expected


def test_a_body_over_the_limit_is_413_before_it_is_read() -> None:
    assert refusal("{" + " " * MAX_BODY_BYTES + "}") == (ErrorCode.REQUEST_TOO_LARGE, 413, "")
    assert refusal("{" + "é" * (MAX_BODY_BYTES // 2) + "}") == (ErrorCode.REQUEST_TOO_LARGE, 413, "")  # bytes count
    event = {"body": "e30=" * (MAX_BODY_BYTES // 2), "isBase64Encoded": True}
    with pytest.raises(SpeechError) as caught:
        json_body(event)
    assert caught.value.code is ErrorCode.REQUEST_TOO_LARGE


@pytest.mark.parametrize(
    "body",
    [
        "[" * 5_000_000 + "]" * 5_000_000,
        "[{" * 4_000_000,
        "[" * (MAX_JSON_DEPTH + 1) + "[]," * 3_000_000 + "]" * (MAX_JSON_DEPTH + 1),
        '{"a": "' + "[" * 9_000_000 + '", "b": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}",
    ],
    ids=["balanced", "unclosed", "wide", "in a string"],
)
def test_huge_structures_are_refused_before_decoding_in_linear_time(body: str) -> None:
    # Given nearly 10 MB of brackets (when a per-character Python loop would take seconds)
    started = time.perf_counter()
    # Then the body is refused without decoding it, in well under a second
    assert refusal(body)[2] in {"json_too_deep", "json_too_many_values"}
    assert time.perf_counter() - started < 1.5


def test_a_shallow_body_with_many_brackets_is_accepted() -> None:
    body = json.dumps({"input": [{"source": f"s{i}"} for i in range(64)], "config": {"x": [[[]], {}]}})
    assert len(read_json_object(body)["input"]) == 64


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ({"body": None}, "body_missing"),
        ({"body": ""}, "body_missing"),
        ({}, "body_missing"),
        ({"body": "0", "isBase64Encoded": True}, "base64_invalid"),
        ({"body": "e30", "isBase64Encoded": True}, "base64_invalid"),  # missing padding
        ({"body": "ëëëë", "isBase64Encoded": True}, "base64_invalid"),
        ({"body": base64.b64encode(b"\x80").decode(), "isBase64Encoded": True}, "utf8_invalid"),
        ({"body": base64.b64encode(b"[]").decode(), "isBase64Encoded": True}, "json_not_object"),
    ],
)
def test_the_event_body_gate(event: dict, kind: str) -> None:
    with pytest.raises(SpeechError) as caught:
        json_body(event)
    error = caught.value
    assert (error.code, error.http_status, error.details["errors"][0]["type"]) == (ErrorCode.REQUEST_INVALID, 400, kind)


def test_base64_bodies_are_decoded() -> None:
    assert json_body({"body": base64.b64encode('{"a": "नमस्ते"}'.encode()).decode(), "isBase64Encoded": True}) == {
        "a": "नमस्ते"
    }


def test_messages_never_echo_raw_client_text() -> None:
    with pytest.raises(SpeechError) as caught:
        read_json_object('{"\\ud800\\u0000' + "k" * 100 + '": 1, "\\ud800\\u0000' + "k" * 100 + '": 2}')
    message = caught.value.message
    assert message.isascii() and len(message) < 200


def test_parse_request_reads_raw_bodies_through_the_same_rules() -> None:
    body = '{"input": [{"source": "a"}], "input": [], "config": {"language": {"sourceLanguage": "en"}}}'
    with pytest.raises(SpeechError) as caught:
        parse_request(TranslationRequest, body)
    assert caught.value.details["errors"][0]["type"] == "json_duplicate_key"
