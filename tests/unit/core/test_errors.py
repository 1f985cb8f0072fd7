from __future__ import annotations

import pytest

from speech_core.errors import (
    HTTP_STATUS,
    AudioError,
    AuthError,
    ErrorCode,
    InferenceError,
    InternalError,
    LimitError,
    RequestError,
)


def test_every_code_has_a_status_and_the_codes_are_stable_strings():
    assert set(HTTP_STATUS) == set(ErrorCode)
    for code in ErrorCode:
        assert code.value == code.value.lower() and "." in code.value
    # caller mistakes are 4xx; only the backend and the unexpected are 5xx
    server_side = {code for code, status in HTTP_STATUS.items() if status >= 500}
    assert server_side == {
        ErrorCode.MODEL_UNAVAILABLE,
        ErrorCode.MODEL_TIMEOUT,
        ErrorCode.MODEL_FAILED,
        ErrorCode.INTERNAL,
    }


def test_error_body_shape():
    error = AudioError(
        ErrorCode.AUDIO_TOO_LONG,
        "audio is 95.0 s; the sync limit is 60 s",
        details={"durationSeconds": 95.0, "limitSeconds": 60},
    )
    assert error.http_status == 413 and error.is_client_error
    assert error.error_body("req-1") == {
        "error": {
            "code": "audio.too_long",
            "message": "audio is 95.0 s; the sync limit is 60 s",
            "details": {"durationSeconds": 95.0, "limitSeconds": 60},
            "requestId": "req-1",
        }
    }


def test_limit_errors_carry_retry_after():
    error = LimitError(ErrorCode.RATE_LIMITED, "60 requests per minute", retry_after_s=12)
    assert error.http_status == 429 and error.retry_after_s == 12
    assert error.error_body()["error"]["details"]["retryAfterSeconds"] == 12


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (AudioError, ErrorCode.AUTH_INVALID_KEY),
        (AuthError, ErrorCode.AUDIO_CORRUPT),
        (RequestError, ErrorCode.MODEL_FAILED),
        (InferenceError, ErrorCode.TEXT_TOO_LONG),
    ],
)
def test_a_category_refuses_codes_of_another(cls, code):
    with pytest.raises(TypeError):
        cls(code, "wrong category")


def test_internal_error_hides_details():
    error = InternalError()
    assert error.http_status == 500 and not error.is_client_error
    assert error.error_body()["error"]["code"] == "internal.error"
