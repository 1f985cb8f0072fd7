"""POST /v1/asr and /services/inference/asr: sync speech recognition."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.asr import router

handler = http_entry(router)
