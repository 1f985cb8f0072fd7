"""POST /v1/nmt and /services/inference/translation: sync translation."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.translation import router

handler = http_entry(router)
