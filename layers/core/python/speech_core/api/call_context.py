"""Opening one metered call for a route: caller from the authorizer context, scope, limits, request log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from speech_core.api.caller import caller_from_event
from speech_core.contracts import ControlConfig, WireModel
from speech_core.contracts.limits import GATEWAY_TIMEOUT_S
from speech_core.errors import SpeechError
from speech_core.keys.scopes import Scope
from speech_core.observability import logger
from speech_core.services.dependencies import CallContext, ServiceDeps, get_service_deps
from speech_core.services.metering import metered_call, record_refused_call

#: where routes get their dependencies; unit tests point it at fakes
deps_provider: Callable[[], ServiceDeps] = get_service_deps


def _gateway_deadline(request_context: dict[str, Any]) -> float | None:
    """When the gateway stops waiting for this call (epoch seconds); None when the event does not say."""
    started_ms = request_context.get("requestTimeEpoch")
    return started_ms / 1000 + GATEWAY_TIMEOUT_S if isinstance(started_ms, int | float) else None


@contextmanager
def call_context(router: Router, scope: Scope) -> Iterator[CallContext]:
    event = router.current_event
    caller = caller_from_event(event.raw_event)
    logger.append_keys(tenant_id=str(caller.tenant_id), key_prefix=caller.key_prefix)
    deps = deps_provider()
    request_context = event.raw_event["requestContext"]
    request_id = str(request_context["requestId"])
    with metered_call(
        caller,
        scope,
        request_id,
        rate_limiter=deps.rate_limiter,
        request_log=deps.request_log,
        answer_by=_gateway_deadline(request_context),
    ) as record:
        yield CallContext(caller=caller, call=record, request_id=request_id, deps=deps)


class TrackedRequest(Protocol):
    control_config: ControlConfig

    def to_wire(self) -> dict[str, object]: ...


def _serve[Request: TrackedRequest, Answer: WireModel](
    router: Router, scope: Scope, request: Request, work: Callable[[Request, CallContext], Answer]
) -> tuple[Answer, CallContext]:
    with call_context(router, scope) as ctx:
        response = work(request, ctx)
        if request.control_config.data_tracking:
            keep_copies(ctx, request.to_wire(), response.to_wire())
        return response, ctx


def serve[Request: TrackedRequest, Answer: WireModel](
    router: Router, scope: Scope, request: Request, work: Callable[[Request, CallContext], Answer]
) -> Answer:
    """Run one metered call of the scope's task; keep copies of its request and response unless the caller
    opted out."""
    return _serve(router, scope, request, work)[0]


#: response headers naming the registry services (serviceIds, in the order they served) and their versions
SERVICE_ID_HEADER = "X-Service-Id"
MODEL_VERSION_HEADER = "X-Model-Version"


def served_headers(served: list[tuple[str, str]]) -> dict[str, str]:
    """`X-Service-Id: a,b` and `X-Model-Version: 1,2` for the services that served a call (none: no headers)."""
    if not served:
        return {}
    return {
        SERVICE_ID_HEADER: ",".join(service_id for service_id, _ in served),
        MODEL_VERSION_HEADER: ",".join(version for _, version in served),
    }


def serve_response[Request: TrackedRequest, Answer: WireModel](
    router: Router, scope: Scope, request: Request, work: Callable[[Request, CallContext], Answer]
) -> Response[Answer]:
    """`serve`, answered with the headers saying which services and versions served (`served_headers`)."""
    answer, ctx = _serve(router, scope, request, work)
    return Response(200, "application/json", body=answer, headers=served_headers(ctx.call.served))


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


#: the scope (and so the task) of a path's last segment, for calls refused before their route runs; public
#: paths and ULCA paths both appear here (`/v1/nmt` and `/services/inference/translation` are translation)
_SCOPE_OF_PATH = {
    "asr": Scope.ASR,
    "tts": Scope.TTS,
    "nmt": Scope.TRANSLATION,
    "translation": Scope.TRANSLATION,
    "transliterate": Scope.TRANSLITERATION,
    "transliteration": Scope.TRANSLITERATION,
    "detect-language": Scope.LANGUAGE_ID,
    "pipeline": Scope.PIPELINE,
    "jobs": Scope.JOBS,  # POST /v1/jobs (the other jobs routes take no body)
}


def record_refusal(event: APIGatewayProxyEvent, error: SpeechError) -> None:
    """Invalid bodies are refused before any route runs: log them too, when a verified caller sent them."""
    scope = _SCOPE_OF_PATH.get(event.path.rstrip("/").rsplit("/", 1)[-1])
    if scope is None:
        return
    try:
        caller = caller_from_event(event.raw_event)
    except SpeechError:
        return  # no verified key (a public route): nothing to attribute the call to
    record_refused_call(caller, scope, event.request_context.request_id, error, deps_provider().request_log)
