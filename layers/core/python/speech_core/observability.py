"""Powertools Logger, Tracer and Metrics, created once and imported everywhere.

Service name, metrics namespace, log level and tracing switch come from the environment CDK writes
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL, POWERTOOLS_TRACE_DISABLED);
every log line carries the request id and, once known, the tenant (`logger.append_keys(tenant_id=...)`).

The tracer is `LazyTracer`: Powertools' `Tracer()` imports the X-Ray SDK and patches botocore, httpx,
SQLAlchemy... when it is *built* (~0.4 s of imports here, ~1 s with the patched libraries, even with tracing
off), so it is built at the first traced call, and only where tracing is on. Lambda's active tracing records
the invocation segment without the SDK; the SDK adds our subsegments. In the SnapStart stages the
before-snapshot hook builds it (`speech_core.snapshot`), so a restored function does not pay it either.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

if TYPE_CHECKING:  # types only: building a Tracer is what imports the X-Ray SDK
    from aws_lambda_powertools import Tracer

F = TypeVar("F", bound=Callable[..., Any])


def tracing_enabled() -> bool:
    """Powertools' own rule: off when POWERTOOLS_TRACE_DISABLED is true, outside Lambda (no LAMBDA_TASK_ROOT),
    and under SAM local or Chalice."""
    if resolve_truthy_env_var_choice(env=os.getenv("POWERTOOLS_TRACE_DISABLED", "false")):
        return False
    return bool(os.getenv("LAMBDA_TASK_ROOT")) and not (os.getenv("AWS_SAM_LOCAL") or os.getenv("AWS_CHALICE_CLI_MODE"))


class LazyTracer:
    """Powertools' `Tracer` behind the same decorators, built on first use and never where tracing is off."""

    def __init__(self) -> None:
        self._tracer: Tracer | None = None
        self._loaded = False
        self._lock = threading.Lock()

    def load(self) -> Tracer | None:
        """The Powertools tracer (built now if it was not), or None where tracing is off."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    if tracing_enabled():
                        from aws_lambda_powertools import Tracer  # cold start: X-Ray SDK at first traced call

                        self._tracer = Tracer()
                    self._loaded = True
        return self._tracer

    @overload
    def capture_lambda_handler(
        self, lambda_handler: F, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> F: ...
    @overload
    def capture_lambda_handler(
        self, lambda_handler: None = None, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> Callable[[F], F]: ...
    def capture_lambda_handler(
        self,
        lambda_handler: F | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> F | Callable[[F], F]:
        """`Tracer.capture_lambda_handler`, applied at the first call."""
        if lambda_handler is None:
            return functools.partial(
                self.capture_lambda_handler, capture_response=capture_response, capture_error=capture_error
            )
        return self._deferred(lambda_handler, "capture_lambda_handler", capture_response, capture_error)

    @overload
    def capture_method(
        self, method: F, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> F: ...
    @overload
    def capture_method(
        self, method: None = None, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> Callable[[F], F]: ...
    def capture_method(
        self,
        method: F | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> F | Callable[[F], F]:
        """`Tracer.capture_method` (plain functions and methods), applied at the first call."""
        if method is None:
            return functools.partial(
                self.capture_method, capture_response=capture_response, capture_error=capture_error
            )
        return self._deferred(method, "capture_method", capture_response, capture_error)

    def _deferred(self, function: F, decorator: str, capture_response: bool | None, capture_error: bool | None) -> F:
        traced: Callable[..., Any] | None = None

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal traced
            tracer = self.load()
            if tracer is None:
                return function(*args, **kwargs)
            if traced is None:
                traced = getattr(tracer, decorator)(
                    function, capture_response=capture_response, capture_error=capture_error
                )
            return traced(*args, **kwargs)

        return cast(F, call)


logger = Logger()
tracer = LazyTracer()
metrics = Metrics()  # namespace: POWERTOOLS_METRICS_NAMESPACE, written by CDK (infra_cdk/names.py) alone
