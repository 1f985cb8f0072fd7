"""Turn a request body into a model, or into one typed error saying every field that is wrong.

Two steps, both here: `read_json_object` turns the body's bytes into a JSON object, refusing what Python's
`json` would let through or fail on late (see there); `parse_request` validates it as a model.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError

from speech_core.contracts.limits import (
    MAX_BODY_BYTES,
    MAX_JSON_CONTAINERS,
    MAX_JSON_DEPTH,
    MAX_JSON_NUMBER_CHARS,
)
from speech_core.errors import AudioError, ErrorCode, LanguageError, RequestError, SpeechError

# Validation error types (raised by our validators) that mean something more precise than
# "request.invalid". When every error in a body has the same precise code, that code is reported.
CODE_FOR_ERROR_TYPE: dict[str, ErrorCode] = {
    "language_unsupported": ErrorCode.LANGUAGE_UNSUPPORTED,
    "language_pair_same": ErrorCode.LANGUAGE_PAIR_UNSUPPORTED,
    "text_empty": ErrorCode.TEXT_EMPTY,
    "text_too_long": ErrorCode.TEXT_TOO_LONG,
    "audio_empty": ErrorCode.AUDIO_EMPTY,
    "audio_too_large": ErrorCode.AUDIO_TOO_LARGE,
    "pipeline_invalid_chain": ErrorCode.PIPELINE_INVALID_CHAIN,
}
_ERROR_CLASSES: tuple[type[SpeechError], ...] = (RequestError, AudioError, LanguageError)


def field_path(loc: tuple[int | str, ...]) -> str:
    """`("audio", 0, "audioContent")` → `audio[0].audioContent` (wire names, as the client sent them)."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _describe(error: Mapping[str, Any]) -> dict[str, str]:
    # The offending input is left out on purpose: it may be megabytes of base64 or a secret.
    return {"field": field_path(tuple(error["loc"])), "message": error["msg"], "type": error["type"]}


def speech_error_from_errors(errors: Sequence[Mapping[str, Any]]) -> SpeechError:
    """The one SpeechError for a list of pydantic-style errors (`loc`, `msg`, `type`), every field error in
    `details.errors`; the code is the precise one when all errors agree on it, else `request.invalid`."""
    described = [_describe(error) for error in errors]
    codes = {CODE_FOR_ERROR_TYPE.get(error["type"], ErrorCode.REQUEST_INVALID) for error in errors}
    code = codes.pop() if len(codes) == 1 else ErrorCode.REQUEST_INVALID
    if code is ErrorCode.REQUEST_INVALID:
        message = "The request is invalid: " + "; ".join(
            f"{d['field'] or 'body'}: {d['message']}" for d in described[:5]
        )
    else:
        message = described[0]["message"]
    error_class = next(
        cls for cls in _ERROR_CLASSES if any(code.value.startswith(prefix) for prefix in cls.allowed_prefixes)
    )
    return error_class(code, message, details={"errors": described})


def to_speech_error(exc: ValidationError) -> SpeechError:
    """The one SpeechError for a failed validation."""
    return speech_error_from_errors(exc.errors(include_url=False, include_input=False))


def parse_request[Model: BaseModel](model: type[Model], payload: Mapping[str, Any] | str | bytes) -> Model:
    """Validate `payload` (a parsed JSON object, or the raw JSON body) as `model`.

    Raises a SpeechError (4xx) instead of pydantic's ValidationError: REQUEST_INVALID with the field
    errors in `details.errors`, or, when all errors agree on a more precise code (an unknown language,
    empty or over-long text, an invalid pipeline chain…), that code.
    """
    if isinstance(payload, str | bytes):
        payload = read_json_object(payload)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise to_speech_error(exc) from None


# --- reading the JSON text ---------------------------------------------------------------------------------
# Python's json accepts NaN and Infinity, duplicate keys (the last wins) and unpaired surrogate escapes ("\ud800"
# becomes a str that fails later, when it is encoded for the database, a model or a log); it converts number
# literals of any length (int() of more than 4 300 digits raises ValueError) and recurses as deep as the body
# nests. Each is refused here, as a 400 request.invalid naming what, and each limit is checked before the work
# it bounds: size, nesting and the number of objects and arrays before decoding (at C speed: str methods and
# regular expressions, no per-character Python loop), a number's length before converting it.

#: a JSON string token (escapes included); what is outside them is structure
_STRING_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
#: escapes that may decode to NUL or to half of a surrogate pair (a first, fast look)
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
#: in text whose escaped backslashes are masked: a NUL escape, a high surrogate escape not followed by a low
#: one, or a low one not preceded by a high one
_BAD_ESCAPE = re.compile(
    r"\\u(?:0000"
    r"|[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\u)[dD][c-fC-F][0-9a-fA-F]{2})"
)
_JSON_TYPE: dict[type, str] = {list: "an array", str: "a string", int: "a number", float: "a number"}
_JSON_TYPE |= {bool: "a boolean", type(None): "null"}


def body_refused(kind: str, message: str, field: str = "") -> RequestError:
    """400 `request.invalid` for a body that is not a readable JSON object: `kind` is the error's `type`."""
    details = {"errors": [{"field": field, "message": message, "type": kind}]}
    return RequestError(ErrorCode.REQUEST_INVALID, f"The request body is refused: {message}", details=details)


def body_too_large() -> RequestError:
    """413 `request.too_large`: the body is over MAX_BODY_BYTES."""
    return RequestError(
        ErrorCode.REQUEST_TOO_LARGE,
        f"The request body is over {MAX_BODY_BYTES} bytes; send large audio with POST /v1/uploads and audioUri",
        details={"maxBytes": MAX_BODY_BYTES},
    )


def _refuse(kind: str, message: str, field: str = "") -> NoReturn:
    raise body_refused(kind, message, field)


def _utf8_text(body: str | bytes) -> str:
    """The body as text, held to MAX_BODY_BYTES of UTF-8 (API Gateway passes text bodies as str)."""
    if len(body) > MAX_BODY_BYTES:  # characters never outnumber bytes
        raise body_too_large()
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as error:
            _refuse("utf8_invalid", f"the body is not valid UTF-8 (byte {error.start})")
    try:
        size = len(body.encode("utf-8"))
    except UnicodeEncodeError as error:
        _refuse("utf8_invalid", f"the body is not valid UTF-8 (a lone surrogate at character {error.start})")
    if size > MAX_BODY_BYTES:
        raise body_too_large()
    return body


def _check_structure(text: str) -> None:
    """Nesting and the number of objects and arrays, before decoding and without recursion: strings are cut
    out, then the brackets left (the structure) are counted."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return  # the requests clients mean to send, audio included (base64 has no brackets)
    structure = _STRING_TOKEN.sub("", text)
    if structure.count("[") + structure.count("{") > MAX_JSON_CONTAINERS:
        _refuse("json_too_many_values", f"the body has more than {MAX_JSON_CONTAINERS} objects and arrays")
    depth = 0
    for bracket in _BRACKET.finditer(structure):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            _refuse("json_too_deep", f"objects and arrays nest deeper than {MAX_JSON_DEPTH} levels")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        shown = json.dumps(twice[:40])  # ASCII-escaped: the client's text never reaches a message raw
        _refuse("json_duplicate_key", f"the key {shown} appears more than once in one object")
    return obj


def _number_too_long(literal: str) -> NoReturn:
    _refuse(
        "json_number_too_long",
        f"a number has {len(literal)} characters; at most {MAX_JSON_NUMBER_CHARS} are accepted",
    )


def _int(literal: str) -> int:
    if len(literal) > MAX_JSON_NUMBER_CHARS:
        _number_too_long(literal)
    return int(literal)


def _float(literal: str) -> float:
    if len(literal) > MAX_JSON_NUMBER_CHARS:
        _number_too_long(literal)
    value = float(literal)
    if not math.isfinite(value):
        _refuse("json_number_out_of_range", f"the number {literal} is out of range")
    return value


def _constant(name: str) -> NoReturn:
    _refuse("json_invalid", f"{name} is not JSON (numbers must be finite)")


def _check_text_escapes(text: str) -> None:
    """Refuse NUL and unpaired surrogates, which valid JSON in valid UTF-8 can only carry as escapes (a raw
    control character is a syntax error), saying where the first one is."""
    if not _SUSPECT_ESCAPE.search(text):
        return
    # escaped backslashes pair up left to right, as the decoder reads them: masked (same length, so positions
    # hold), a backslash followed by "u0000" is text, not NUL
    found = _BAD_ESCAPE.search(text.replace("\\\\", "__"))
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - text.rfind("\n", 0, found.start())
    what = "NUL (\\u0000)" if found.group() == "\\u0000" else "an unpaired surrogate (\\ud800-\\udfff)"
    _refuse("text_invalid_character", f"text may not contain {what}: line {line}, column {column}")


def read_json_object(body: str | bytes) -> dict[str, Any]:
    """The JSON object a request body holds, or a RequestError: 413 `request.too_large` over MAX_BODY_BYTES,
    else 400 `request.invalid` (its `details.errors[0].type` says why) when the body is not UTF-8, not JSON,
    not an object, nests deeper than MAX_JSON_DEPTH, holds more than MAX_JSON_CONTAINERS objects and arrays,
    a number longer than MAX_JSON_NUMBER_CHARS or out of float range, NaN or Infinity, a key twice in one
    object, or a string with NUL (U+0000) or an unpaired surrogate. A leading byte order mark is ignored
    (RFC 8259 §8.1)."""
    text = _utf8_text(body).removeprefix("\ufeff")
    if not text.strip():
        _refuse("body_missing", "the request has no body; send a JSON object")
    _check_structure(text)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as error:
        _refuse("json_invalid", f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}")
    except RecursionError:  # not reached after the depth check; never a 500 if it were
        _refuse("json_too_deep", f"objects and arrays nest deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(value, dict):
        _refuse("json_not_object", f"the body must be a JSON object, not {_JSON_TYPE.get(type(value), 'that')}")
    _check_text_escapes(text)
    return value
