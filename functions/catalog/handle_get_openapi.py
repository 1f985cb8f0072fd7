"""GET /v1/openapi.json: the OpenAPI document generated from the routes."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.catalog import router

handler = http_entry(router)
