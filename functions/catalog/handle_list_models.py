"""GET /v1/models: what the model registry serves."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.catalog import router

handler = http_entry(router)
