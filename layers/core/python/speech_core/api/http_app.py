"""The REST resolver every HTTP function uses, and the one place errors become HTTP responses.

- `SpeechError` → its status and `{"error": {code, message, details, requestId}}` (+ `Retry-After` for 429);
- a body is read once, by the body gate (`request_body`), before any route work: what is not a JSON object
  within the body limits → 400 `request.invalid` (413 `request.too_large` over the size limit);
- a body that fails validation → 400 with the most precise code (see `contracts.parsing`);
- an unknown route → 404 `resource.not_found`;
- anything else → 500 `internal.error`, logged with its stack, no internals leaked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths

from speech_core.api.request_body import GatedRequestValidation
from speech_core.contracts.parsing import speech_error_from_errors
from speech_core.errors import ErrorCode, InternalError, LimitError, RequestError, SpeechError
from speech_core.observability import logger, metrics, tracer
from speech_core.settings import CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, get_console_settings

JSON = "application/json"


def cors_config() -> CORSConfig | None:
    """CORS for exactly the stage's console origin; none (no CORS headers at all) where the stage has no console."""
    origin = get_console_settings().console_origin
    if not origin:
        return None
    return CORSConfig(
        allow_origin=origin,
        allow_headers=list(CORS_ALLOW_HEADERS),
        expose_headers=list(CORS_EXPOSE_HEADERS),
        max_age=600,
    )


def error_response(error: SpeechError, request_id: str | None) -> Response:
    headers: dict[str, str] = {"Cache-Control": "no-store"}
    if isinstance(error, LimitError):
        headers["Retry-After"] = str(error.retry_after_s)
    return Response(
        status_code=error.http_status, content_type=JSON, headers=headers, body=json.dumps(error.error_body(request_id))
    )


def _validation_error(exc: RequestValidationError) -> SpeechError:
    """Powertools' validation errors are pydantic error dicts whose location starts with "body"/"query"."""
    errors = [dict(error) for error in exc.errors()]
    if any(error.get("type") == "json_invalid" for error in errors):
        return RequestError(ErrorCode.REQUEST_INVALID, "the request body is not valid JSON")
    for error in errors:
        location = tuple(error.get("loc", ()))
        error["loc"] = location[1:] if location[:1] == ("body",) else location
        error.setdefault("msg", "invalid")
        error.setdefault("type", "value_error")
    return speech_error_from_errors(errors)


def _record_refusal(app: APIGatewayRestResolver, error: SpeechError) -> None:
    # cold start: health and the OpenAPI document never meter a call, so they never load the service deps
    from speech_core.api.call_context import record_refusal

    record_refusal(app.current_event, error)


def build_app(*routers: Router) -> APIGatewayRestResolver:
    """A resolver with these routers and the platform's error mapping."""
    app = APIGatewayRestResolver(enable_validation=True, cors=cors_config())
    # every route's body goes through the body gate, inside Powertools' request validation (request_body)
    app._request_validation_middleware = GatedRequestValidation(on_refused=lambda error: _record_refusal(app, error))
    for router in routers:
        app.include_router(router)

    def request_id() -> str | None:
        return app.current_event.request_context.request_id

    @app.exception_handler(SpeechError)
    def on_speech_error(error: SpeechError) -> Response:
        log = logger.warning if error.is_client_error else logger.error
        log("request refused", extra={"error_code": error.code.value, "status": error.http_status})
        return error_response(error, request_id())

    @app.exception_handler(RequestValidationError)
    def on_invalid_request(exc: RequestValidationError) -> Response:
        error = _validation_error(exc)
        logger.warning("invalid request", extra={"error_code": error.code.value})
        _record_refusal(app, error)
        return error_response(error, request_id())

    @app.not_found
    def on_not_found(_: Exception) -> Response:
        return error_response(
            RequestError(
                ErrorCode.RESOURCE_NOT_FOUND, f"no route {app.current_event.http_method} {app.current_event.path}"
            ),
            request_id(),
        )

    @app.exception_handler(Exception)
    def on_unexpected(exc: Exception) -> Response:
        logger.exception("unexpected error")
        return error_response(InternalError(), request_id())

    return app


def http_entry(*routers: Router) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler for these routers, decorated in the house order (logger, metrics, tracer).

    The tracer records the invocation but never its response: answers carry transcripts, translations and
    synthesized audio of what a tenant sent."""
    app = build_app(*routers)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics(raise_on_empty_metrics=False)
    @tracer.capture_lambda_handler(capture_response=False)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    handler.app = app  # tests and the OpenAPI builder reach the resolver
    return handler
