"""Every sync call is checked (scope, per-key limits) and recorded (request log + daily usage).

`metered_call` wraps the work of one call: it refuses a key without the scope (403) or over its limits
(429, counting nothing), times the work, and writes one request-log row whatever the outcome — before the
response leaves, so no call goes unrecorded (one INSERT and one upsert on a warm connection, ~1–2 ms).
The work fills in the `CallRecord` (model, version, languages, sizes) as it learns them. A call's task is
the scope it needs (`asr`, `tts`, `translation`, `transliteration`, `language_id`, `pipeline`): the request
log, daily usage and the `task` metric dimension all use that one name.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import Field

from speech_core.db.ports import RequestLogRepository
from speech_core.db.records import CallMeasures, NewResult, RequestLogEntry
from speech_core.errors import ErrorCode, SpeechError
from speech_core.keys.caller import Caller
from speech_core.keys.scopes import Scope
from speech_core.observability import logger, metrics, tracer

if TYPE_CHECKING:  # types only: the rate limiter is SQLAlchemy, built by the dependencies on first use
    from speech_core.keys.rate_limiter import RateLimiter


class CallRecord(CallMeasures):
    """What the request log keeps about one call; services fill it in. `results` are written with the
    request-log row, in the same transaction, when the call succeeds."""

    results: list[NewResult] = Field(default_factory=list, exclude=True)
    #: the registry services that served this call, in order: (serviceId, version); the response says them
    served: list[tuple[str, str]] = Field(default_factory=list, exclude=True)

    def used_model(self, name: str, version: str) -> None:
        # a pipeline uses several models: keep them all, in order
        self.model_name = name if self.model_name is None else f"{self.model_name}+{name}"
        self.model_version = version if self.model_version is None else f"{self.model_version}+{version}"


@contextmanager
def metered_call(
    caller: Caller,
    scope: Scope,
    request_id: str,
    *,
    rate_limiter: RateLimiter,
    request_log: RequestLogRepository,
    answer_by: float | None = None,
) -> Iterator[CallRecord]:
    """Meter one call: scope and limits first, then one request-log row (with usage and results) at the end.

    `answer_by` (epoch seconds) is when API Gateway stops waiting for the answer (request time + its
    integration timeout). A call that finishes after it was answered 504 by the gateway, not by us: it is
    recorded as that 504 (model.timeout, not billed, no results kept), so the log counts what clients got.
    """
    task = scope.value
    record = CallRecord(task=task)
    started = time.perf_counter()
    status, error_code = 200, None
    try:
        caller.require_scope(scope)
        rate_limiter.acquire(caller.key_id, caller.limits)
        yield record
    except SpeechError as error:
        status, error_code = error.http_status, error.code.value
        raise
    except Exception:
        status, error_code = 500, ErrorCode.INTERNAL.value
        raise
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        if status < 500 and answer_by is not None and time.time() > answer_by:
            status, error_code = 504, ErrorCode.MODEL_TIMEOUT.value
            record.audio_seconds, record.characters = 0.0, 0  # the client got nothing: nothing is billed
        metrics.add_dimension(name="task", value=task)
        metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name="ClientErrors" if status < 500 else "ServerErrors",
            unit=MetricUnit.Count,
            value=1 if status >= 400 else 0,
        )
        metrics.add_metric(name="ProcessingTime", unit=MetricUnit.Milliseconds, value=elapsed_ms)
        _write(
            request_log,
            RequestLogEntry(
                request_id=request_id,
                tenant_id=caller.tenant_id,
                api_key_id=caller.key_id,
                status=status,
                error_code=error_code,
                processing_ms=round(elapsed_ms, 2),
                **record.model_dump(),
            ),
            record.results if status == 200 else (),
        )
        logger.info(
            "call recorded",
            extra={
                "task": task,
                "status": status,
                "error_code": error_code,
                "processing_ms": round(elapsed_ms, 2),
                "model": record.model_name,
                "model_version": record.model_version,
            },
        )


@tracer.capture_method(capture_response=False)
def _write(request_log: RequestLogRepository, entry: RequestLogEntry, results: Sequence[NewResult] = ()) -> None:
    # traced here, not in db/repositories: the authorizer loads those, and the tracer's X-Ray SDK import would
    # double its first-call import time
    request_log.record(entry, results=results)


def record_refused_call(
    caller: Caller, scope: Scope, request_id: str, error: SpeechError, request_log: RequestLogRepository
) -> None:
    """Log a call refused before its work began (its body failed validation); not counted by the limiter."""
    _write(
        request_log,
        RequestLogEntry(
            request_id=request_id,
            tenant_id=caller.tenant_id,
            api_key_id=caller.key_id,
            task=scope.value,
            status=error.http_status,
            error_code=error.code.value,
        ),
    )
