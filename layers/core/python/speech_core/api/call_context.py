"""Opening one metered call for a route: caller from the authorizer context, scope, limits, request log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aws_lambda_powertools.event_handler.api_gateway import Router

from speech_core.api.caller import caller_from_event
from speech_core.api.metering import metered_call
from speech_core.keys import Scope
from speech_core.observability import logger
from speech_core.services.dependencies import CallContext, ServiceDeps, get_service_deps

#: where routes get their dependencies; unit tests point it at fakes
deps_provider: Callable[[], ServiceDeps] = get_service_deps


@contextmanager
def call_context(router: Router, scope: Scope, task: str, *, data_tracking: bool = False) -> Iterator[CallContext]:
    event = router.current_event
    caller = caller_from_event(event.raw_event)
    logger.append_keys(tenant_id=str(caller.tenant_id), key_prefix=caller.key_prefix)
    deps = deps_provider()
    request_id = event.request_context.request_id
    with metered_call(caller, scope, task, request_id, rate_limiter=deps.rate_limiter,
                      request_log=deps.request_log) as record:
        yield CallContext(caller=caller, call=record, request_id=request_id, deps=deps,
                          data_tracking=data_tracking)
