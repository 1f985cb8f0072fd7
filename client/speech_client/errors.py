"""Typed exceptions: every failure the client reports is a `SpeechError` carrying what the API said.

An API error answer is `{"error": {"code", "message", "details"?, "requestId"}}`; the exception keeps the code,
message, request id and HTTP status, and its class says what kind of failure it is (and so which exit code the
`speech` command line ends with, see `exit_code`).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Exit codes of the `speech` command line, one per error class (client/README.md)."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2  #: a wrong command line (click's own code)
    CONFIGURATION = 3  #: no API URL or key, an unreadable profile file
    AUTHENTICATION = 4  #: 401/403: the key is missing, invalid, revoked, expired, or lacks the scope
    INVALID_REQUEST = 5  #: another 4xx: the request (or the file) was refused as it is
    NOT_FOUND = 6  #: 404: no such job (or not this tenant's)
    RATE_LIMITED = 7  #: 429 after the retries: the key's rate or quota
    SERVER = 8  #: 5xx after the retries
    TRANSPORT = 9  #: the API could not be reached, or did not answer in time
    JOB_FAILED = 10  #: a job ended failed or cancelled
    STREAM = 11  #: the streaming API refused or lost the stream


class SpeechError(Exception):
    """Base of every error this client raises."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(SpeechError):
    """The client has no API URL or key, or a profile file cannot be read."""

    exit_code = ExitCode.CONFIGURATION


class TransportError(SpeechError):
    """The API could not be reached (connection refused, reset, DNS...)."""

    exit_code = ExitCode.TRANSPORT


class RequestTimeoutError(TransportError):
    """The API did not answer within the client's timeout."""


class ApiError(SpeechError):
    """The API answered with an error: its status, stable `code`, `message`, `request_id` and `details`."""

    exit_code = ExitCode.UNEXPECTED

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.details = details or {}

    def __str__(self) -> str:
        where = f", request {self.request_id}" if self.request_id else ""
        return f"{self.code}: {self.message} (HTTP {self.status}{where})"


class InvalidRequestError(ApiError):
    """400, 409, 413, 415, 422 and other 4xx: the request was refused as it is; repeating it will not help."""

    exit_code = ExitCode.INVALID_REQUEST


class AuthenticationError(ApiError):
    """401: no key, or a key the API does not know."""

    exit_code = ExitCode.AUTHENTICATION


class PermissionDeniedError(ApiError):
    """403: the key is revoked, expired, or lacks the route's scope; or the audio URI is not yours."""

    exit_code = ExitCode.AUTHENTICATION


class NotFoundError(ApiError):
    """404: no such resource (another tenant's job answers the same)."""

    exit_code = ExitCode.NOT_FOUND


class ConflictError(InvalidRequestError):
    """409: the resource is not in a state that allows this (e.g. cancelling a finished job)."""


class RateLimitedError(ApiError):
    """429: the key's rate limit or quota; `retry_after` is the server's `Retry-After` in seconds."""

    exit_code = ExitCode.RATE_LIMITED

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the platform failed (model unavailable or timed out, an internal error)."""

    exit_code = ExitCode.SERVER


class JobFailedError(SpeechError):
    """A job this client waited for ended `failed` or `cancelled`; `job` is its last state."""

    exit_code = ExitCode.JOB_FAILED

    def __init__(self, job: Any) -> None:
        error = getattr(job, "error", None)
        reason = f"{error.code}: {error.message}" if error else "no error recorded"
        super().__init__(f"job {job.job_id} ended {job.state}: {reason}")
        self.job = job
        self.code = error.code if error else f"job.{job.state}"


class StreamError(SpeechError):
    """The streaming API answered an error frame that ends the stream, or the stream could not be resumed."""

    exit_code = ExitCode.STREAM

    def __init__(self, code: str, message: str, seq: int | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.seq = seq
        self.details = details or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitedError,
}


def api_error(
    status: int,
    body: Any,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """The typed exception for an error answer; a body that is not the API's error shape still gets one."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        code = error["code"]
        message = str(error.get("message", ""))
        request_id = error.get("requestId") or request_id
        details = error.get("details") if isinstance(error.get("details"), dict) else None
    else:  # a gateway's own answer (e.g. {"message": "Forbidden"}) or no JSON at all
        code = f"http.{status}"
        message = str(body.get("message")) if isinstance(body, dict) and body.get("message") else f"HTTP {status}"
        details = None
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else InvalidRequestError)
    if cls is RateLimitedError:
        return RateLimitedError(status, code, message, request_id, details, retry_after=retry_after)
    return cls(status, code, message, request_id, details)
