"""POST /v1/asr and the ULCA alias /services/inference/asr."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from speech_core.api.call_context import serve_response
from speech_core.api.error_responses import responses_for
from speech_core.api.routes import ServiceIdQuery, use_query_service_id
from speech_core.contracts import AsrRequest, AsrResponse
from speech_core.keys import Scope
from speech_core.services import asr

router = Router()


RESPONSES = responses_for(AsrResponse, "Transcripts with segments, in the requested transcription format")


@router.post("/v1/asr", summary="Speech to text", tags=["asr"], responses=RESPONSES)
@router.post("/services/inference/asr", summary="Speech to text (ULCA path)", tags=["ulca"], responses=RESPONSES)
def post_asr(request: Annotated[AsrRequest, Body()], service_id: ServiceIdQuery = None) -> Response[AsrResponse]:
    use_query_service_id(request.config, service_id)
    response = serve_response(router, Scope.ASR, request, asr.transcribe)
    headers = response.headers
    if request.config.post_processors:
        # none of the served ASR models does ITN or punctuation yet: say so rather than pretend
        headers["X-Skipped-Post-Processors"] = ",".join(p.value for p in request.config.post_processors)
    return response
