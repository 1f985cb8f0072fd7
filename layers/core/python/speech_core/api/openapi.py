"""GET /v1/openapi.json: the OpenAPI document, generated from every router and their pydantic models; and
GET /v1/asyncapi.json: the WebSocket streaming API's AsyncAPI document, generated from its message models.

This module sits above the route modules (it imports them all, when it first builds the document; none imports
it), so its own route lives here rather than in `routes/`. Powertools writes the paths and schemas; this adds the
API-key security schemes and drops the 422 it declares for validation errors, which this API answers as 400
(see `http_app`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from speech_core.api.error_responses import COMMON_ERRORS
from speech_core.api.http_app import build_app

API_TITLE = "Speech platform API (ASR, TTS, NMT) — ULCA compatible"
API_VERSION = "1.0.0"
PUBLIC_PATHS = {"/v1/health"}

router = Router()


@router.get(
    "/v1/openapi.json",
    summary="This API's OpenAPI document",
    tags=["catalog"],
    responses={200: {"description": "OpenAPI 3 document"}, **COMMON_ERRORS},
)
def get_openapi() -> dict[str, Any]:
    return build_openapi()


@router.get(
    "/v1/asyncapi.json",
    summary="The WebSocket streaming API's AsyncAPI document",
    tags=["catalog"],
    responses={
        200: {"description": "AsyncAPI 3 document, generated from the streaming message models"},
        **COMMON_ERRORS,
    },
)
def get_asyncapi() -> dict[str, Any]:
    from speech_core.contracts.streaming_asyncapi import build_asyncapi  # cold start: this route's alone

    return build_asyncapi()


@lru_cache(maxsize=1)
def _document() -> str:
    # cold start: every route (numpy, SQLAlchemy, all contracts) loads with the first document, not at import
    from speech_core.api.routes import (
        asr,
        catalog,
        health,
        jobs,
        language_id,
        pipeline,
        translation,
        transliteration,
        tts,
        ulca,
        uploads,
    )

    app = build_app(
        asr.router,
        tts.router,
        translation.router,
        transliteration.router,
        language_id.router,
        pipeline.router,
        ulca.router,
        catalog.router,
        uploads.router,
        jobs.router,
        health.router,
        router,
    )
    spec: dict[str, Any] = json.loads(app.get_openapi_json_schema(title=API_TITLE, version=API_VERSION))
    spec.setdefault("components", {})["securitySchemes"] = {
        "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "Authorization: Bearer <key> (a raw `Authorization: <key>` works too)",
        },
        "ulcaApiKey": {
            "type": "apiKey",
            "in": "header",
            "name": "ulcaApiKey",
            "description": "ULCA clients' header for the same API key (config discovery sends it)",
        },
    }
    for path, operations in spec.get("paths", {}).items():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
            for bodiless in ("204", "303"):  # Powertools gives every response the return type's content
                operation.get("responses", {}).get(bodiless, {}).pop("content", None)
            if path not in PUBLIC_PATHS:
                operation["security"] = [{"apiKey": []}, {"bearer": []}, {"ulcaApiKey": []}]
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        spec["components"].get("schemas", {}).pop(unused, None)
    return json.dumps(spec)


def build_openapi() -> dict[str, Any]:
    """The whole API's document (a fresh copy each call)."""
    return json.loads(_document())
