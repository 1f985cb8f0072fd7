"""Turn a request body into a model, or into one typed error saying every field that is wrong."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

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
    try:
        if isinstance(payload, str | bytes):
            return model.model_validate_json(payload)
        return model.model_validate(payload)
    except ValidationError as exc:
        raise to_speech_error(exc) from None
