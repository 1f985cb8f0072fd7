"""The error body every route may answer with, as OpenAPI response declarations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # types only: the routes import the event handler themselves
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse


class ErrorDetail(BaseModel):
    # built when the OpenAPI document is, its only user (error bodies are written by `http_app.error_response`)
    model_config = ConfigDict(defer_build=True)

    code: str = Field(description="stable machine code, e.g. audio.too_long (see the error table)")
    message: str
    details: dict[str, Any] | None = None
    requestId: str | None = None  # noqa: N815 - wire name


class ErrorResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    error: ErrorDetail


def _error(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorResponse}}}


#: what any authorized route can answer besides its success
COMMON_ERRORS: dict[int, OpenAPIResponse] = {
    400: _error(
        "Invalid request: a body that is not a JSON object within the body limits, or that fails the schema "
        "(request.invalid), audio.*, text.empty, language.*, pipeline.invalid_chain"
    ),
    401: _error("Missing or invalid API key"),
    403: _error("Key revoked, expired or without the task's scope; audioUri outside your uploads"),
    404: _error("Unknown resource"),
    413: _error("Body or input over the limits (request.too_large, audio.too_long, audio.too_large, text.too_long)"),
    415: _error("Audio in a format other than WAV, FLAC, OGG or MP3"),
    429: _error("Per-key rate limit or daily quota exceeded; see Retry-After"),
    500: _error("Unexpected error (internal.error)"),
    502: _error("The model failed (model.failed)"),
    503: _error("The model server is unavailable (model.unavailable)"),
    504: _error("The model did not answer in time (model.timeout)"),
}


def responses_for(
    model: type[BaseModel], description: str, *, errors: dict[int, OpenAPIResponse] | None = None
) -> dict[int, OpenAPIResponse]:
    """OpenAPI responses of a route: its success model, then the errors it may answer."""
    return {
        200: {"description": description, "content": {"application/json": {"model": model}}},
        **(COMMON_ERRORS if errors is None else errors),
    }
