"""The jobs API (scope `jobs`): batch transcription of uploads, with progress, partial transcripts, cancel,
retry and delete. Each route is one metered call (scope, per-key limits, request log); the work is
`speech_core.services.jobs`. Another tenant's job answers 404 resource.not_found, like one that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from speech_core.api.call_context import call_context
from speech_core.api.error_responses import COMMON_ERRORS, ErrorResponse
from speech_core.api.http_app import JSON
from speech_core.contracts.jobs import (
    DEFAULT_JOBS_PAGE,
    MAX_JOBS_PAGE,
    CreateJobRequest,
    Job,
    JobList,
    TranscriptDocument,
)
from speech_core.db.records import JobState
from speech_core.keys import Scope
from speech_core.services import jobs
from speech_core.services.job_dependencies import JobServiceDeps, get_job_service_deps
from speech_core.transcripts.models import TranscriptFormat
from speech_core.transcripts.render import CONTENT_TYPES

router = Router()

#: where the routes get the jobs service's dependencies; unit tests point it at fakes
job_deps_provider: Callable[[], JobServiceDeps] = get_job_service_deps

JobIdPath = Annotated[uuid.UUID, Path(description="the job's id (jobId)")]

_CONFLICT: OpenAPIResponse = {
    "description": "The job's state does not allow this (job.already_finished, job.not_retryable)",
    "content": {"application/json": {"model": ErrorResponse}},
}


def _job_responses(status: int, description: str, *, conflict: bool = False) -> dict[int, OpenAPIResponse]:
    responses: dict[int, OpenAPIResponse] = {
        status: {"description": description, "content": {"application/json": {"model": Job}}},
        **COMMON_ERRORS,
    }
    if conflict:
        responses[409] = _CONFLICT
    return responses


def _json(status: int, model: Job | JobList) -> Response[str]:
    return Response(status, JSON, body=model.model_dump_json(by_alias=True, exclude_none=True))


@router.post(
    "/v1/jobs",
    summary="Create a batch transcription job",
    tags=["jobs"],
    responses=_job_responses(202, "The job, queued (or the earlier one, for a repeated idempotencyKey)"),
)
def post_job(request: Annotated[CreateJobRequest, Body()]) -> Response[str]:
    with call_context(router, Scope.JOBS) as ctx:
        created = jobs.create_job(request, ctx.caller, job_deps_provider())
    return _json(202, created.job)


@router.get(
    "/v1/jobs",
    summary="List jobs, newest first",
    tags=["jobs"],
    responses={
        200: {"description": "One page of jobs", "content": {"application/json": {"model": JobList}}},
        **COMMON_ERRORS,
    },
)
def get_jobs(
    state: Annotated[JobState | None, Query(description="only jobs in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_JOBS_PAGE, description="jobs per page")] = DEFAULT_JOBS_PAGE,
    cursor: Annotated[str | None, Query(max_length=200, description="nextCursor of the previous page")] = None,
) -> Response[str]:
    with call_context(router, Scope.JOBS) as ctx:
        page = jobs.list_jobs(ctx.tenant_id, job_deps_provider(), limit=limit, state=state, cursor=cursor)
    return _json(200, page)


@router.get(
    "/v1/jobs/<jobId>",
    summary="A job: state, progress, timings, result links, error",
    tags=["jobs"],
    responses=_job_responses(200, "The job"),
)
def get_job(jobId: JobIdPath) -> Response[str]:  # noqa: N803 - the path parameter's wire name
    with call_context(router, Scope.JOBS) as ctx:
        job = jobs.get_job(ctx.tenant_id, jobId, job_deps_provider())
    return _json(200, job)


@router.post(
    "/v1/jobs/<jobId>/cancel",
    summary="Cancel a queued or running job",
    tags=["jobs"],
    responses=_job_responses(200, "The job, cancelled", conflict=True),
)
def post_cancel_job(jobId: JobIdPath) -> Response[str]:  # noqa: N803
    with call_context(router, Scope.JOBS) as ctx:
        job = jobs.cancel_job(ctx.tenant_id, jobId, job_deps_provider())
    return _json(200, job)


@router.post(
    "/v1/jobs/<jobId>/retry",
    summary="Retry a failed or cancelled job (only its unfinished chunks run again)",
    tags=["jobs"],
    responses=_job_responses(202, "The job, queued as its next attempt", conflict=True),
)
def post_retry_job(jobId: JobIdPath) -> Response[str]:  # noqa: N803
    with call_context(router, Scope.JOBS) as ctx:
        job = jobs.retry_job(ctx.tenant_id, jobId, job_deps_provider())
    return _json(202, job)


@router.delete(
    "/v1/jobs/<jobId>",
    summary="Delete a job with its audio, chunks and results",
    tags=["jobs"],
    responses={204: {"description": "Deleted"}, **COMMON_ERRORS},
)
def delete_job(jobId: JobIdPath) -> Response[str]:  # noqa: N803
    with call_context(router, Scope.JOBS) as ctx:
        jobs.delete_job(ctx.tenant_id, jobId, job_deps_provider())
    return Response(204, None, body="")


_TRANSCRIPT_CONTENT: dict[str, Any] = {
    media.split(";")[0]: {"schema": {"type": "string"}} for media in CONTENT_TYPES.values()
} | {"application/json": {"model": TranscriptDocument}}


@router.get(
    "/v1/jobs/<jobId>/transcript",
    summary="The job's transcript: whole when it succeeded, what is done so far otherwise",
    tags=["jobs"],
    responses={
        200: {
            "description": "The transcript in the asked format; X-Transcript-Complete says whether it is whole, "
            "X-Skipped-Post-Processors which asked post-processors it does not reflect (all of them while the job "
            "runs: the transcript so far is as heard)",
            "content": _TRANSCRIPT_CONTENT,
        },
        303: {"description": "A stored transcript too big for a response body: follow Location (presigned)"},
        **COMMON_ERRORS,
    },
)
def get_job_transcript(
    jobId: JobIdPath,  # noqa: N803
    format: Annotated[TranscriptFormat, Query(description="json, txt, srt or vtt")] = TranscriptFormat.JSON,  # noqa: A002
) -> Response[str]:
    with call_context(router, Scope.JOBS) as ctx:
        answer = jobs.job_transcript(ctx.tenant_id, jobId, format, job_deps_provider())
    headers = {"X-Transcript-Complete": "true" if answer.complete else "false", "Cache-Control": "no-store"}
    if answer.skipped_post_processors:
        headers["X-Skipped-Post-Processors"] = ",".join(answer.skipped_post_processors)
    if answer.redirect_url is not None:
        return Response(303, None, body="", headers={**headers, "Location": answer.redirect_url})
    return Response(200, answer.content_type, body=answer.body, headers=headers)
