"""POST /v1/uploads: presigned upload URL for large audio (usable as audioUri)."""

from speech_core.api.http_app import http_entry
from speech_core.api.routes.uploads import router

handler = http_entry(router)
