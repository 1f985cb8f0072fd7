"""POST /v1/transliterate and the ULCA alias /services/inference/transliteration."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from speech_core.api.call_context import serve_response
from speech_core.api.error_responses import responses_for
from speech_core.api.routes import ServiceIdQuery, use_query_service_id
from speech_core.contracts import TransliterationRequest, TransliterationResponse
from speech_core.keys import Scope
from speech_core.services import transliteration

router = Router()
RESPONSES = responses_for(TransliterationResponse, "Each input in the target language's script")


@router.post(
    "/v1/transliterate", summary="Transliterate between scripts", tags=["transliteration"], responses=RESPONSES
)
@router.post(
    "/services/inference/transliteration", summary="Transliterate (ULCA path)", tags=["ulca"], responses=RESPONSES
)
def post_transliteration(
    request: Annotated[TransliterationRequest, Body()], service_id: ServiceIdQuery = None
) -> Response[TransliterationResponse]:
    use_query_service_id(request.config, service_id)
    return serve_response(router, Scope.TRANSLITERATION, request, transliteration.transliterate)
