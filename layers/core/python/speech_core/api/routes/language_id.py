"""POST /v1/detect-language (the public path keeps its name): text language identification."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from speech_core.api.call_context import serve_response
from speech_core.api.error_responses import responses_for
from speech_core.contracts import LanguageIdRequest, LanguageIdResponse
from speech_core.keys import Scope
from speech_core.services import language_id

router = Router()


@router.post(
    "/v1/detect-language",
    summary="Identify the language of texts",
    tags=["language_id"],
    responses=responses_for(LanguageIdResponse, "The most likely language of each text"),
)
def post_language_id(request: Annotated[LanguageIdRequest, Body()]) -> Response[LanguageIdResponse]:
    return serve_response(router, Scope.LANGUAGE_ID, request, language_id.identify)
