"""POST /v1/tts and /services/inference/tts: sync speech synthesis."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.tts import router

handler = http_entry(router)
