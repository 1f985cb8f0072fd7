"""POST /v1/pipeline and /services/inference/pipeline: chained tasks."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.pipeline import router

handler = http_entry(router)
