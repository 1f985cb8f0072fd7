"""Opening one metered call for a route: caller from the authorizer context, scope, limits, request log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from aws_lambda_powertools.event_handler.api_gateway import Router

from speech_core.api.caller import caller_from_event
from speech_core.api.metering import metered_call
from speech_core.contracts import ControlConfig, WireModel
from speech_core.keys import Scope
from speech_core.observability import logger
from speech_core.services.dependencies import CallContext, ServiceDeps, get_service_deps

#: where routes get their dependencies; unit tests point it at fakes
deps_provider: Callable[[], ServiceDeps] = get_service_deps


@contextmanager
def call_context(router: Router, scope: Scope, task: str) -> Iterator[CallContext]:
    event = router.current_event
    caller = caller_from_event(event.raw_event)
    logger.append_keys(tenant_id=str(caller.tenant_id), key_prefix=caller.key_prefix)
    deps = deps_provider()
    request_id = event.request_context.request_id
    with metered_call(
        caller, scope, task, request_id, rate_limiter=deps.rate_limiter, request_log=deps.request_log
    ) as record:
        yield CallContext(caller=caller, call=record, request_id=request_id, deps=deps)


class TrackedRequest(Protocol):
    control_config: ControlConfig

    def to_wire(self) -> dict[str, object]: ...


def serve[Request: TrackedRequest, Answer: WireModel](
    router: Router, scope: Scope, task: str, request: Request, work: Callable[[Request, CallContext], Answer]
) -> Answer:
    """Run one metered call; keep copies of its request and response unless the caller opted out."""
    with call_context(router, scope, task) as ctx:
        response = work(request, ctx)
        if request.control_config.data_tracking:
            keep_copies(ctx, request.to_wire(), response.to_wire())
        return response


def keep_copies(ctx: CallContext, request: dict[str, object], response: dict[str, object]) -> None:
    """`tracking/<tenant>/<request id>/call.json` ({request, response}) in the audio bucket: one PUT per call."""
    bucket = ctx.deps.storage.audio_bucket
    if bucket is None:
        logger.warning("data tracking requested but this function has no audio bucket")
        return
    document = {"requestId": ctx.request_id, "task": ctx.call.task, "request": request, "response": response}
    ctx.deps.objects.put(
        bucket, ctx.tracking_key("call.json"), json.dumps(document, ensure_ascii=False).encode(), "application/json"
    )
