"""POST /v1/tts and the ULCA alias /services/inference/tts."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from speech_core.api.call_context import serve_response
from speech_core.api.error_responses import responses_for
from speech_core.api.routes import ServiceIdQuery, use_query_service_id
from speech_core.contracts import TtsRequest, TtsResponse
from speech_core.keys import Scope
from speech_core.services import tts

router = Router()
RESPONSES = responses_for(TtsResponse, "Audio per input text: base64 (audioContent) or a presigned link (audioUri)")


@router.post("/v1/tts", summary="Text to speech", tags=["tts"], responses=RESPONSES)
@router.post("/services/inference/tts", summary="Text to speech (ULCA path)", tags=["ulca"], responses=RESPONSES)
def post_tts(request: Annotated[TtsRequest, Body()], service_id: ServiceIdQuery = None) -> Response[TtsResponse]:
    use_query_service_id(request.config, service_id)
    return serve_response(router, Scope.TTS, request, tts.synthesize)
