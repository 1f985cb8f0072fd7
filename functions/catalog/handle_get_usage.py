"""GET /v1/usage: this key's usage by day."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.catalog import router

handler = http_entry(router)
