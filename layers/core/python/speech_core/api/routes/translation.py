"""POST /v1/nmt (the public path keeps its name) and the ULCA alias /services/inference/translation."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from speech_core.api.call_context import serve_response
from speech_core.api.error_responses import responses_for
from speech_core.api.routes import ServiceIdQuery, use_query_service_id
from speech_core.contracts import TranslationRequest, TranslationResponse
from speech_core.keys import Scope
from speech_core.services import translation

router = Router()
RESPONSES = responses_for(TranslationResponse, "One translation per input sentence, in order")


@router.post("/v1/nmt", summary="Translate a batch of sentences", tags=["translation"], responses=RESPONSES)
@router.post("/services/inference/translation", summary="Translate (ULCA path)", tags=["ulca"], responses=RESPONSES)
def post_translation(
    request: Annotated[TranslationRequest, Body()], service_id: ServiceIdQuery = None
) -> Response[TranslationResponse]:
    use_query_service_id(request.config, service_id)
    return serve_response(router, Scope.TRANSLATION, request, translation.translate)
