"""The bytes of one ULCA `audio[]` item: inline base64, an `s3://` URI of the caller's own upload, or an
`https://` link.

An `s3://` `audioUri` must name an object under `s3://<ingest bucket>/uploads/<caller's tenant id>/`, where
`POST /v1/uploads` puts uploads. An `https://` link is fetched by `speech_core.outbound.audio_link`: public
addresses only (the SSRF guard the webhooks use), the tenant's allow-list of hosts, every redirect re-checked,
size and time capped while streaming (`http://` and loopback hosts only where the stage allows local links).
Whatever the source, the bytes then go through the same audio validation.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from speech_core.audio import decode_base64_audio
from speech_core.contracts import AudioInput
from speech_core.errors import AudioError, ErrorCode
from speech_core.observability import tracer
from speech_core.services.dependencies import CallContext
from speech_core.storage.object_store import ObjectTooLarge

UPLOADS_PREFIX = "uploads/"


def uploads_prefix(tenant_id: object) -> str:
    return f"{UPLOADS_PREFIX}{tenant_id}/"


@tracer.capture_method(capture_response=False)
def read_audio_bytes(item: AudioInput, ctx: CallContext) -> bytes:
    max_bytes = ctx.deps.limits.max_audio_bytes
    if item.audio_content is not None:
        return decode_base64_audio(item.audio_content, max_bytes=max_bytes)
    assert item.audio_uri is not None  # the model guarantees exactly one source
    parts = urlsplit(item.audio_uri)
    if parts.scheme.lower() in ("http", "https"):
        return ctx.deps.audio_links.fetch(item.audio_uri, ctx.tenant_id, max_bytes)
    key = parts.path.lstrip("/")
    bucket = ctx.deps.storage.ingest_bucket
    if (
        parts.scheme != "s3"
        or bucket is None
        or parts.netloc != bucket
        or not key.startswith(uploads_prefix(ctx.tenant_id))
        or ".." in key.split("/")
    ):
        raise AudioError(
            ErrorCode.AUDIO_URI_FORBIDDEN,
            "an s3:// audioUri must name one of your own uploads (s3://<bucket>/uploads/<tenant>/...); "
            "create one with POST /v1/uploads, send an https:// link, or send audioContent",
            details={"allowedPrefix": f"s3://{bucket}/{uploads_prefix(ctx.tenant_id)}"},
        )
    try:
        data = ctx.deps.objects.get(bucket, key, max_bytes)
    except ObjectTooLarge as error:
        raise AudioError(
            ErrorCode.AUDIO_TOO_LARGE,
            f"the upload is {error.size} bytes; at most {max_bytes}",
            details={"bytes": error.size, "maxBytes": max_bytes},
        ) from error
    if data is None:
        raise AudioError(
            ErrorCode.AUDIO_URI_FORBIDDEN, "audioUri names no upload of yours", details={"audioUri": item.audio_uri}
        )
    return data
