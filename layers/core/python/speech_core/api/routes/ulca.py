"""POST /ulca/apis/v0/model/getModelsPipeline (and /v1/): ULCA config discovery.

Authenticated like every route by the Lambda authorizer, which reads ULCA's `ulcaApiKey` header (the platform's
API key) as well as the usual ones; `userID` is accepted and recorded in the call's log line. The answer comes
from the model registry (`services.pipeline_config`): per task the serviceIds and languages, and the inference
endpoint (this API's `/services/inference/pipeline`) with the key to send there (the same API key, as
`Authorization`).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from speech_core.api import call_context as calls
from speech_core.api.caller import caller_from_event
from speech_core.api.error_responses import responses_for
from speech_core.contracts.pipeline_config import PipelineConfigRequest, PipelineConfigResponse
from speech_core.errors import AuthError, ErrorCode
from speech_core.keys.key_headers import api_key_of
from speech_core.observability import logger
from speech_core.services.pipeline_config import describe_pipeline

router = Router()
RESPONSES = responses_for(PipelineConfigResponse, "serviceIds and languages per task, and the inference endpoint")
PIPELINE_PATH = "/services/inference/pipeline"
#: one gateway resource serves both ULCA versions' paths (v0 and v1: the same request and answer)
DISCOVERY_PATH = "/ulca/apis/<version>/model/getModelsPipeline"
API_VERSIONS = ("v0", "v1")

UserIdHeader = Annotated[
    str | None,
    Header(alias="userID", max_length=256, description="the ULCA user id; accepted and recorded"),
]
UlcaApiKeyHeader = Annotated[
    str | None,
    Header(
        alias="ulcaApiKey",
        max_length=512,
        description="this platform's API key (x-api-key or Authorization work too)",
    ),
]


def _pipeline_url() -> str:
    """This API's pipeline URL as the client reached this one: scheme, host, base path (stage or custom domain
    mapping) and `/services/inference/pipeline`."""
    event = router.current_event
    context = event.raw_event.get("requestContext") or {}
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    host = str(context.get("domainName") or headers.get("host") or "localhost")
    full_path = str(context.get("path") or event.path)
    base = full_path[: -len(event.path)] if full_path.endswith(event.path) else ""
    local = host.startswith(("127.", "localhost", "[::1]"))
    scheme = headers.get("x-forwarded-proto") or ("http" if local else "https")
    return f"{scheme}://{host}{base.rstrip('/')}{PIPELINE_PATH}"


@router.post(DISCOVERY_PATH, summary="ULCA config discovery (v0 or v1)", tags=["ulca"], responses=RESPONSES)
def post_get_models_pipeline(
    version: Annotated[str, Path(description="the ULCA API version: v0 or v1", pattern="^v[01]$")],
    request: Annotated[PipelineConfigRequest, Body()],
    user_id: UserIdHeader = None,
    ulca_api_key: UlcaApiKeyHeader = None,
) -> PipelineConfigResponse:
    event = router.current_event
    caller = caller_from_event(event.raw_event)
    key = api_key_of(dict(event.headers or {}))
    if key is None:  # the authorizer verified a key, so this is a misconfigured route: fail closed
        raise AuthError(ErrorCode.AUTH_MISSING_KEY, "the request carries no API key")
    logger.info(
        "ulca config discovery",
        extra={
            "tenant_id": str(caller.tenant_id),
            "key_prefix": caller.key_prefix,
            "ulca_user_id": user_id,
            "pipeline_id": request.pipeline_request_config.pipeline_id,
            "tasks": [task.task_type for task in request.pipeline_tasks],
        },
    )
    return describe_pipeline(request, calls.deps_provider().registry, callback_url=_pipeline_url(), key=key)
