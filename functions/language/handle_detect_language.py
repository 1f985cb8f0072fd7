"""POST /v1/detect-language: text language identification."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.language_id import router

handler = http_entry(router)
