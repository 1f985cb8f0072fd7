"""POST /v1/pipeline and the ULCA alias /services/inference/pipeline."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from speech_core.api.call_context import serve_response
from speech_core.api.error_responses import responses_for
from speech_core.api.routes import ServiceIdQuery
from speech_core.contracts import PipelineRequest, PipelineResponse
from speech_core.keys import Scope
from speech_core.services import pipeline

router = Router()
RESPONSES = responses_for(PipelineResponse, "One response per task, in order")


@router.post(
    "/v1/pipeline", summary="Run chained tasks (e.g. ASR → translation → TTS)", tags=["pipeline"], responses=RESPONSES
)
@router.post(
    "/services/inference/pipeline", summary="Run chained tasks (ULCA path)", tags=["ulca"], responses=RESPONSES
)
def post_pipeline(
    request: Annotated[PipelineRequest, Body()], service_id: ServiceIdQuery = None
) -> Response[PipelineResponse]:
    # each task's own config.serviceId routes it; a query serviceId cannot say which task it means
    return serve_response(router, Scope.PIPELINE, request, pipeline.run_pipeline)
