"""POST /v1/uploads: a presigned PUT URL for audio too large for a JSON body, usable as `audioUri`."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, Field

from speech_core.api import call_context as calls
from speech_core.api.caller import caller_from_event
from speech_core.api.error_responses import responses_for
from speech_core.errors import AuthError, ErrorCode, RequestError
from speech_core.keys import Scope
from speech_core.services.audio_input import uploads_prefix

router = Router()
CONTENT_TYPES = ("audio/wav", "audio/x-wav", "audio/flac", "audio/ogg", "audio/mpeg")


class UploadRequest(BaseModel):
    fileName: str = Field(min_length=1, max_length=200, description="kept (sanitised) in the object key")  # noqa: N815
    contentType: str = Field(default="audio/wav", description=f"one of {', '.join(CONTENT_TYPES)}")  # noqa: N815


class UploadResponse(BaseModel):
    uploadUrl: str = Field(description="PUT the file here, with the same Content-Type, before it expires")  # noqa: N815
    audioUri: str = Field(description="pass as audio[].audioUri to /v1/asr, or as a job's input")  # noqa: N815
    expiresInSeconds: int  # noqa: N815
    headers: dict[str, str]


@router.post(
    "/v1/uploads",
    summary="Upload URL for large audio",
    tags=["uploads"],
    responses=responses_for(UploadResponse, "A presigned upload URL and the audioUri to use afterwards"),
)
def post_upload(request: Annotated[UploadRequest, Body()]) -> UploadResponse:
    caller = caller_from_event(router.current_event.raw_event)
    if not caller.scopes & {Scope.ASR.value, Scope.JOBS.value}:
        raise AuthError(ErrorCode.AUTH_INSUFFICIENT_SCOPE, "uploads need the 'asr' or 'jobs' scope")
    if request.contentType not in CONTENT_TYPES:
        raise RequestError(ErrorCode.REQUEST_INVALID, f"contentType must be one of {', '.join(CONTENT_TYPES)}")
    deps = calls.deps_provider()
    bucket = deps.storage.ingest_bucket
    if bucket is None:
        raise RequestError(ErrorCode.REQUEST_INVALID, "uploads are not available here")
    safe_name = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]", "_", request.fileName))[-100:].lstrip(".") or "audio"
    key = f"{uploads_prefix(caller.tenant_id)}{uuid.uuid4()}/{safe_name}"
    ttl = deps.storage.presigned_url_ttl_s
    return UploadResponse(
        uploadUrl=deps.objects.presigned_put_url(bucket, key, request.contentType, ttl),
        audioUri=f"s3://{bucket}/{key}",
        expiresInSeconds=ttl,
        headers={"Content-Type": request.contentType},
    )
