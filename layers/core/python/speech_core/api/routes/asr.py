"""POST /v1/asr and the ULCA alias /services/inference/asr."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from speech_core.api import call_context
from speech_core.api.call_context import serve_response
from speech_core.api.error_responses import responses_for
from speech_core.api.routes import ServiceIdQuery, use_query_service_id
from speech_core.contracts import AsrRequest, AsrResponse
from speech_core.keys import Scope
from speech_core.services import asr
from speech_core.services.text_normalization import skipped_post_processors

router = Router()


RESPONSES = responses_for(AsrResponse, "Transcripts with segments, in the requested transcription format")


@router.post("/v1/asr", summary="Speech to text", tags=["asr"], responses=RESPONSES)
@router.post("/services/inference/asr", summary="Speech to text (ULCA path)", tags=["ulca"], responses=RESPONSES)
def post_asr(request: Annotated[AsrRequest, Body()], service_id: ServiceIdQuery = None) -> Response[AsrResponse]:
    use_query_service_id(request.config, service_id)
    response = serve_response(router, Scope.ASR, request, asr.transcribe)
    headers = response.headers
    config = request.config
    skipped = skipped_post_processors(
        config.post_processors, config.language.source_language, call_context.deps_provider().registry
    )
    if skipped:
        # what no served model applies for this language (punctuation, here): say so rather than pretend
        headers["X-Skipped-Post-Processors"] = ",".join(skipped)
    return response
