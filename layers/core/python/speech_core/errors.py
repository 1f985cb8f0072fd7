"""One error hierarchy for the whole platform.

Every failure a caller can see is a `SpeechError` carrying a stable machine `code` (an `ErrorCode`), a
human message and optional details. The HTTP status comes from the code, in one table (`HTTP_STATUS`), so
handlers never choose statuses themselves: the API resolver turns any `SpeechError` into a JSON body with
`error_body()` and answers with `http_status`. Codes are part of the public contract: never rename one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Stable machine codes, grouped by the prefix before the dot."""

    # request shape
    REQUEST_INVALID = "request.invalid"
    REQUEST_TOO_LARGE = "request.too_large"
    RESOURCE_NOT_FOUND = "resource.not_found"
    # audio input
    AUDIO_EMPTY = "audio.empty"
    AUDIO_INVALID_BASE64 = "audio.invalid_base64"
    AUDIO_CORRUPT = "audio.corrupt"
    AUDIO_UNSUPPORTED_FORMAT = "audio.unsupported_format"
    AUDIO_TOO_LARGE = "audio.too_large"
    AUDIO_TOO_LONG = "audio.too_long"
    AUDIO_NO_SAMPLES = "audio.no_samples"
    AUDIO_UNSUPPORTED_SAMPLE_RATE = "audio.unsupported_sample_rate"
    AUDIO_URI_FORBIDDEN = "audio.uri_forbidden"
    #: an https audioUri the platform will not fetch (scheme, credentials, an address of a refused class, a
    #: redirect to one, too many redirects); `details.reason` says which
    AUDIO_URI_REFUSED = "audio.uri_refused"
    #: an https audioUri whose host is not on the tenant's allow-list (tenants.audio_url_allowed_hosts)
    AUDIO_URI_HOST_NOT_ALLOWED = "audio.uri_host_not_allowed"
    #: an https audioUri that could not be fetched (no such host, refused connection, TLS failure, non-2xx)
    AUDIO_URI_UNREACHABLE = "audio.uri_unreachable"
    #: an https audioUri whose server did not send the whole body in time
    AUDIO_URI_TIMEOUT = "audio.uri_timeout"
    # text input
    TEXT_EMPTY = "text.empty"
    TEXT_TOO_LONG = "text.too_long"
    # languages, models, pipelines
    LANGUAGE_UNSUPPORTED = "language.unsupported"
    LANGUAGE_PAIR_UNSUPPORTED = "language.pair_unsupported"
    VOICE_UNSUPPORTED = "voice.unsupported"
    PIPELINE_INVALID_CHAIN = "pipeline.invalid_chain"
    # batch jobs
    JOB_ALREADY_FINISHED = "job.already_finished"
    JOB_NOT_RETRYABLE = "job.not_retryable"
    JOB_WEBHOOK_URL_REFUSED = "job.webhook_url_refused"
    # WebSocket streams
    STREAM_NOT_STARTED = "stream.not_started"
    STREAM_GAP = "stream.gap"
    STREAM_RESUME_REFUSED = "stream.resume_refused"
    # authentication and authorisation
    AUTH_MISSING_KEY = "auth.missing_key"
    AUTH_INVALID_KEY = "auth.invalid_key"
    AUTH_REVOKED_KEY = "auth.revoked_key"
    AUTH_EXPIRED_KEY = "auth.expired_key"
    AUTH_INSUFFICIENT_SCOPE = "auth.insufficient_scope"
    # limits
    RATE_LIMITED = "rate.limited"
    QUOTA_EXCEEDED = "quota.exceeded"
    # inference backend
    MODEL_UNAVAILABLE = "model.unavailable"
    MODEL_TIMEOUT = "model.timeout"
    MODEL_FAILED = "model.failed"
    # anything unexpected: never caused by the caller
    INTERNAL = "internal.error"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.REQUEST_INVALID: 400,
    ErrorCode.REQUEST_TOO_LARGE: 413,
    ErrorCode.RESOURCE_NOT_FOUND: 404,
    ErrorCode.AUDIO_EMPTY: 400,
    ErrorCode.AUDIO_INVALID_BASE64: 400,
    ErrorCode.AUDIO_CORRUPT: 400,
    ErrorCode.AUDIO_UNSUPPORTED_FORMAT: 415,
    ErrorCode.AUDIO_TOO_LARGE: 413,
    ErrorCode.AUDIO_TOO_LONG: 413,
    ErrorCode.AUDIO_NO_SAMPLES: 400,
    ErrorCode.AUDIO_UNSUPPORTED_SAMPLE_RATE: 400,
    ErrorCode.AUDIO_URI_FORBIDDEN: 403,
    ErrorCode.AUDIO_URI_REFUSED: 400,
    ErrorCode.AUDIO_URI_HOST_NOT_ALLOWED: 403,
    ErrorCode.AUDIO_URI_UNREACHABLE: 400,
    ErrorCode.AUDIO_URI_TIMEOUT: 408,
    ErrorCode.TEXT_EMPTY: 400,
    ErrorCode.TEXT_TOO_LONG: 413,
    ErrorCode.LANGUAGE_UNSUPPORTED: 400,
    ErrorCode.LANGUAGE_PAIR_UNSUPPORTED: 400,
    ErrorCode.VOICE_UNSUPPORTED: 400,
    ErrorCode.PIPELINE_INVALID_CHAIN: 400,
    ErrorCode.JOB_ALREADY_FINISHED: 409,
    ErrorCode.JOB_NOT_RETRYABLE: 409,
    ErrorCode.JOB_WEBHOOK_URL_REFUSED: 400,
    ErrorCode.STREAM_NOT_STARTED: 409,
    ErrorCode.STREAM_GAP: 409,
    ErrorCode.STREAM_RESUME_REFUSED: 409,
    ErrorCode.AUTH_MISSING_KEY: 401,
    ErrorCode.AUTH_INVALID_KEY: 401,
    ErrorCode.AUTH_REVOKED_KEY: 401,
    ErrorCode.AUTH_EXPIRED_KEY: 401,
    ErrorCode.AUTH_INSUFFICIENT_SCOPE: 403,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.QUOTA_EXCEEDED: 429,
    ErrorCode.MODEL_UNAVAILABLE: 503,
    ErrorCode.MODEL_TIMEOUT: 504,
    ErrorCode.MODEL_FAILED: 502,
    ErrorCode.INTERNAL: 500,
}


class SpeechError(Exception):
    """Base of every error the platform reports to a caller."""

    #: the code prefixes a subclass may carry ("" = any)
    allowed_prefixes: tuple[str, ...] = ("",)

    def __init__(self, code: ErrorCode, message: str, *, details: dict[str, Any] | None = None) -> None:
        if not any(code.value.startswith(prefix) for prefix in self.allowed_prefixes):
            raise TypeError(f"{type(self).__name__} cannot carry code {code.value}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    @property
    def is_client_error(self) -> bool:
        return 400 <= self.http_status < 500

    def error_body(self, request_id: str | None = None) -> dict[str, Any]:
        """The JSON body every interface (REST, WebSocket frame, job record) uses for this error."""
        body: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.details:
            body["details"] = self.details
        if request_id:
            body["requestId"] = request_id
        return {"error": body}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r})"


class RequestError(SpeechError):
    allowed_prefixes = ("request.", "resource.", "text.", "pipeline.", "job.", "stream.")


class AudioError(SpeechError):
    allowed_prefixes = ("audio.",)


class LanguageError(SpeechError):
    allowed_prefixes = ("language.", "voice.")


class AuthError(SpeechError):
    allowed_prefixes = ("auth.",)


class LimitError(SpeechError):
    """Rate limit or quota: carries how long the caller should wait (the `Retry-After` header)."""

    allowed_prefixes = ("rate.", "quota.")

    def __init__(
        self, code: ErrorCode, message: str, *, retry_after_s: int, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(code, message, details={**(details or {}), "retryAfterSeconds": retry_after_s})
        self.retry_after_s = retry_after_s


class InferenceError(SpeechError):
    """The model server failed, timed out or is unreachable: a 5xx the caller may retry."""

    allowed_prefixes = ("model.",)


class InternalError(SpeechError):
    allowed_prefixes = ("internal.",)

    def __init__(self, message: str = "An unexpected error occurred; it has been logged.") -> None:
        super().__init__(ErrorCode.INTERNAL, message)
