"""GET /v1/models (what the registry serves) and GET /v1/usage (this key's usage by day, and for a key with the
`jobs` scope the tenant's usage no key made: S3-drop jobs).

GET /v1/openapi.json is `speech_core.api.openapi`: it describes these routes too, so it sits above them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from speech_core.api import call_context as calls
from speech_core.api.caller import caller_from_event
from speech_core.api.error_responses import responses_for
from speech_core.api.http_app import JSON
from speech_core.db.records import UsageRecord
from speech_core.errors import ErrorCode, RequestError
from speech_core.inference import Task
from speech_core.keys import Scope

router = Router()
MAX_USAGE_DAYS = 92


class ModelVersionInfo(BaseModel):
    version: str
    weight: int


class ModelInfo(BaseModel):
    serviceId: str  # noqa: N815 - wire names
    task: str
    model: str
    versions: list[ModelVersionInfo]
    languages: list[str] = Field(default_factory=list)
    languagePairs: list[str] = Field(default_factory=list)  # noqa: N815
    voices: list[str] = Field(default_factory=list)
    limits: dict[str, Any]
    description: str


class ModelsResponse(BaseModel):
    models: list[ModelInfo]


class UsageDay(BaseModel):
    day: date
    task: str
    requests: int
    errors: int
    audioSeconds: float  # noqa: N815
    characters: int


class UsageResponse(BaseModel):
    keyPrefix: str  # noqa: N815
    #: the key's scopes (tasks it may call), as the authorizer verified them
    scopes: list[str] = Field(default_factory=list)
    since: date
    until: date
    days: list[UsageDay]
    limits: dict[str, int]
    currentWindows: dict[str, int]  # noqa: N815
    keylessDays: list[UsageDay] | None = Field(  # noqa: N815
        default=None,
        description="the tenant's usage no API key made (S3-drop jobs), by day and task; only for a key with the "
        "jobs scope (the keys that see those jobs), left out otherwise",
    )


def _usage_days(rows: list[UsageRecord]) -> list[UsageDay]:
    return [
        UsageDay(
            day=r.day,
            task=r.task,
            requests=r.requests,
            errors=r.errors,
            audioSeconds=round(r.audio_seconds, 3),
            characters=r.characters,
        )
        for r in rows
    ]


@router.get(
    "/v1/models",
    summary="Tasks, languages, voices and versions served",
    tags=["catalog"],
    responses=responses_for(ModelsResponse, "Every registered model service"),
)
def get_models() -> ModelsResponse:
    caller_from_event(router.current_event.raw_event)
    registry = calls.deps_provider().registry
    served = {Task.ASR, Task.TTS, Task.TRANSLATION, Task.TRANSLITERATION, Task.LANGUAGE_ID}
    return ModelsResponse(
        models=[
            ModelInfo(
                serviceId=s.service_id,
                task=s.task.value,
                model=s.model,
                versions=[ModelVersionInfo(version=v.version, weight=v.weight) for v in s.versions],
                languages=s.languages,
                languagePairs=s.all_pairs(),
                voices=s.voices,
                limits=s.limits.model_dump(exclude_none=True),
                description=s.description,
            )
            for s in registry.services
            if s.task in served or s.task is Task.ASR_STREAMING
        ]
    )


@router.get(
    "/v1/usage",
    summary="This API key's usage by day",
    tags=["catalog"],
    responses=responses_for(UsageResponse, "Requests, errors, audio seconds and characters per day and task"),
)
def get_usage(
    since: Annotated[date | None, Query(alias="from", description="first UTC day (default: 30 days ago)")] = None,
    until: Annotated[date | None, Query(alias="to", description="last UTC day (default: today)")] = None,
) -> Response[str]:
    caller = caller_from_event(router.current_event.raw_event)
    today = datetime.now(UTC).date()
    until = until or today
    since = since or until - timedelta(days=29)
    if since > until or (until - since).days >= MAX_USAGE_DAYS:
        raise RequestError(
            ErrorCode.REQUEST_INVALID, f"'from' must not be after 'to', and the range at most {MAX_USAGE_DAYS} days"
        )
    deps = calls.deps_provider()
    rows = [row for row in deps.usage.daily_for_key(caller.tenant_id, caller.key_id, since) if row.day <= until]
    keyless = None
    if Scope.JOBS.value in caller.scopes:
        keyless = [row for row in deps.usage.daily_without_key(caller.tenant_id, since) if row.day <= until]
    response = UsageResponse(
        keyPrefix=caller.key_prefix,
        scopes=sorted(caller.scopes),
        since=since,
        until=until,
        days=_usage_days(rows),
        limits=caller.limits.model_dump(),
        currentWindows=deps.rate_limiter.current(caller.key_id),
        keylessDays=None if keyless is None else _usage_days(keyless),
    )
    return Response(200, JSON, body=response.model_dump_json(exclude_none=True))
