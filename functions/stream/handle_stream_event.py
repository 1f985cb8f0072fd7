"""WebSocket routes of the streaming API: $connect, $disconnect and every client message (docs/streaming.md).

$connect accepts the connection (the authorizer already checked the key) when the key has the `streaming`
scope, and selects the `speech.v1` subprotocol when the client offered it (API Gateway answers the upgrade with
the `Sec-WebSocket-Protocol` the $connect integration returns; a browser that offered a subprotocol fails the
handshake without one). A message is answered through @connections (partials, finals, errors), never by the
return value. Nothing logs the $connect event: its headers carry the key.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from speech_core.api.caller import caller_from_event
from speech_core.api.snapshot import register_snapshot_hooks
from speech_core.errors import AuthError
from speech_core.keys.key_headers import selected_subprotocol
from speech_core.observability import logger, metrics, tracer
from speech_core.settings import DatabaseSettings, InferenceSettings, RegistrySettings, declare_environment
from speech_core.streaming.dependencies import get_stream_deps
from speech_core.streaming.events import StreamEvent
from speech_core.streaming.stream_service import connect, disconnect, finish_reply, handle_message
from speech_core.streaming.stream_settings import StreamingSettings
from speech_core.streaming.stream_timers import StreamTimerSettings
from speech_core.streaming.tts_dependencies import get_tts_deps
from speech_core.streaming.tts_session import disconnect_tts, handle_tts_message, is_tts_stream

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(
    DatabaseSettings, RegistrySettings, InferenceSettings, StreamingSettings, StreamTimerSettings
)
register_snapshot_hooks(ENVIRONMENT)  # SnapStart: warm before the snapshot, renew after a restore


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics(raise_on_empty_metrics=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = StreamEvent.from_lambda(event)
    deps = get_stream_deps()
    logger.append_keys(connection_id=request.connection_id)
    tts = get_tts_deps()
    if request.is_disconnect:
        if is_tts_stream(request.connection_id, None, True, tts):
            disconnect_tts(request.connection_id, tts)
        else:
            disconnect(request.connection_id, deps)
        return {"statusCode": 200}
    try:
        caller = caller_from_event(event)  # fails closed (401) without the authorizer's context
        logger.append_keys(tenant_id=str(caller.tenant_id))
        if request.is_connect:
            connect(caller, request.connection_id, deps)
            return connect_answer(event)
    except AuthError as error:  # at $connect a non-2xx answer refuses the upgrade
        return {"statusCode": error.http_status}
    if is_tts_stream(request.connection_id, request.body, False, tts):  # text in, audio out (docs/streaming-tts.md)
        tts_answers = handle_tts_message(request.connection_id, caller, request.body, tts, request.request_id)
        deps.push.send(
            request.connection_id, [a.model_dump_json(by_alias=True, exclude_none=True) for a in tts_answers]
        )
        return {"statusCode": 200}
    reply = handle_message(request.connection_id, caller, request.body, deps, request.received_at)
    deps.push.send(request.connection_id, [a.model_dump_json(by_alias=True, exclude_none=True) for a in reply.answers])
    finish_reply(reply, deps)  # an utterance's final, after the frame's answer (the invocation runs on)
    return {"statusCode": 200}


def connect_answer(event: dict[str, Any]) -> dict[str, Any]:
    """$connect's 200, with `Sec-WebSocket-Protocol: speech.v1` when the upgrade offered it (never the key)."""
    subprotocol = selected_subprotocol(event.get("headers"))
    return (
        {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": subprotocol}} if subprotocol else {"statusCode": 200}
    )
