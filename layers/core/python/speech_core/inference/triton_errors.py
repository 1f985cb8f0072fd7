"""Turn whatever tritonclient raises into the core's `InferenceError` codes, in one place.

gRPC reports a status name (`StatusCode.UNAVAILABLE`, ...); HTTP reports an HTTP status or raises socket and
gevent errors straight from the connection. Both end as MODEL_UNAVAILABLE (nothing answered, or the model is
not loaded: retryable), MODEL_TIMEOUT (no answer in time) or MODEL_FAILED (the model answered with an error).
"""

from __future__ import annotations

import socket

from tritonclient.utils import InferenceServerException

from speech_core.errors import ErrorCode, InferenceError

_UNAVAILABLE_STATUSES = {
    "StatusCode.UNAVAILABLE",
    "StatusCode.NOT_FOUND",
    "StatusCode.CANCELLED",
    "503",
    "404",
}
_TIMEOUT_STATUSES = {"StatusCode.DEADLINE_EXCEEDED", "504"}
# Messages Triton uses when a model is missing or not (yet) loaded, whatever the status code says.
_UNAVAILABLE_MARKERS = (
    "unknown model",
    "is not found",
    "is not ready",
    "unavailable",
    "failed to connect",
    "connection refused",
    "socket closed",
)
_TIMEOUT_MARKERS = ("deadline exceeded", "timed out", "timeout")


def map_triton_error(exc: BaseException, *, model: str, version: str) -> InferenceError:
    """The `InferenceError` for an exception raised while calling `model` (version `version`)."""
    details = {"model": model, "version": version or "latest"}
    if isinstance(exc, InferenceError):
        return exc
    if isinstance(exc, InferenceServerException):
        status = str(exc.status() or "")
        message = str(exc.message() or exc)
        lowered = message.lower()
        details["status"] = status
        if status in _TIMEOUT_STATUSES or any(m in lowered for m in _TIMEOUT_MARKERS):
            code = ErrorCode.MODEL_TIMEOUT
        elif status in _UNAVAILABLE_STATUSES or any(m in lowered for m in _UNAVAILABLE_MARKERS):
            code = ErrorCode.MODEL_UNAVAILABLE
        else:
            code = ErrorCode.MODEL_FAILED
        return InferenceError(code, f"model {model}: {message}", details=details)
    if isinstance(exc, TimeoutError | socket.timeout) or type(exc).__name__ == "Timeout":  # gevent.Timeout
        return InferenceError(ErrorCode.MODEL_TIMEOUT, f"model {model}: no answer in time", details=details)
    if isinstance(exc, ConnectionError | OSError):
        return InferenceError(
            ErrorCode.MODEL_UNAVAILABLE, f"model {model}: server unreachable ({exc})", details=details
        )
    return InferenceError(ErrorCode.MODEL_FAILED, f"model {model}: {type(exc).__name__}: {exc}", details=details)


def is_retryable(error: InferenceError) -> bool:
    """Only "nobody answered" is worth another try; a timeout or a model error would repeat."""
    return error.code == ErrorCode.MODEL_UNAVAILABLE
