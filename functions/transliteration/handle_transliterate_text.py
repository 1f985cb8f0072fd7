"""POST /v1/transliterate and /services/inference/transliteration."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.transliteration import router

handler = http_entry(router)
