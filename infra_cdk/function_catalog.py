"""The function inventory: one Lambda per entry point, with its handler, triggers and the access it needs.

This is the contract with the handler authors (see infra_cdk/README.md): each `handler` names a module under
`functions/` relative to the repository root, exposing `handler(event, context)`. The code asset is the
repository's `functions/` folder kept at that path, so the same string works on Lambda and in the local
runtime. Access flags turn into least-privilege grants in `capabilities/functions.py`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from infra_cdk import names


class Access(StrEnum):
    """What a function may touch; each flag maps to one narrow grant."""

    DATABASE = "database"  # secret read + network path to the RDS Proxy (or DATABASE_URL locally)
    TRITON = "triton"  # network path to the internal Triton load balancer
    INGEST_READ = "ingest-read"
    INGEST_WRITE = "ingest-write"  # presigned PUT URLs for sync-API uploads (uploads/<tenant>/, not incoming/)
    INGEST_DELETE = "ingest-delete"  # a deleted job's input (under uploads/ or incoming/)
    AUDIO_READ = "audio-read"
    AUDIO_WRITE = "audio-write"
    AUDIO_DELETE = "audio-delete"  # a deleted job's chunks (under chunks/)
    RESULTS_READ = "results-read"
    RESULTS_WRITE = "results-write"
    RESULTS_DELETE = "results-delete"  # a deleted job's outputs (under results/)
    SEND_JOB_START = "send-job-start"  # sqs:SendMessage on the job-start queue
    START_WORKFLOW = "start-workflow"  # states:StartExecution on the job state machine
    STOP_WORKFLOW = "stop-workflow"  # states:StopExecution / DescribeExecution
    TASK_RESPONSE = "task-response"  # states:SendTaskSuccess/Failure/Heartbeat
    PUBLISH_JOB_EVENTS = "publish-job-events"  # events:PutEvents on the stage's event bus (job state changes)
    WEBHOOK_URLS = "webhook-urls"  # checks or calls job webhook URLs (the stage's local-receiver rule; no grant)
    WEBHOOK_SIGNING_KEY = "webhook-signing-key"  # secretsmanager:GetSecretValue on the stage's signing secret
    WEBSOCKET_MANAGE = "websocket-manage"  # execute-api:ManageConnections on the WebSocket API
    SEND_STREAM_TIMERS = "send-stream-timers"  # sqs:SendMessage on the stream-timers queue
    MODEL_REGISTRY = "model-registry"  # reads the packaged model registry named by MODEL_REGISTRY (no grant)
    AUDIO_URLS = "audio-urls"  # fetches https audioUri links (the stage's local-link rule and CA bundle; no grant)


class RestRoute(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: str = Field(pattern=r"^(GET|POST|PUT|DELETE|PATCH)$")
    path: str = Field(pattern=r"^/[A-Za-z0-9_./{}-]+$")
    authorized: bool = True


class QueueSource(BaseModel):
    model_config = ConfigDict(frozen=True)

    queue: str
    batch_size: int = Field(10, ge=1, le=10000)
    max_batching_window_s: int = Field(0, ge=0, le=300)


class FunctionSpec(BaseModel):
    """One Lambda entry point."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[A-Z][A-Za-z0-9]+$")
    handler: str = Field(pattern=r"^functions/[a-z_]+/handle_[a-z_]+\.handler$")
    description: str
    timeout_s: int = Field(30, ge=1, le=900)
    memory_mb: int | None = None
    access: frozenset[Access] = frozenset()
    rest_routes: tuple[RestRoute, ...] = ()
    websocket_routes: tuple[str, ...] = ()
    queue_source: QueueSource | None = None
    role: str = "route"  # route | authorizer | consumer | admin: documentation only

    @property
    def service_name(self) -> str:
        """POWERTOOLS_SERVICE_NAME: the functions/<area> folder."""
        return self.handler.split("/")[1]


def _post(*paths: str) -> tuple[RestRoute, ...]:
    return tuple(RestRoute(method="POST", path=p) for p in paths)


def _get(*paths: str) -> tuple[RestRoute, ...]:
    return tuple(RestRoute(method="GET", path=p) for p in paths)


_D, _T, _R = Access.DATABASE, Access.TRITON, Access.MODEL_REGISTRY

REST_AUTHORIZER_ID = "AuthorizeRequest"
WEBSOCKET_AUTHORIZER_ID = "AuthorizeConnection"
MIGRATION_FUNCTION_ID = "MigrateDatabase"

FUNCTIONS: tuple[FunctionSpec, ...] = (
    # --- authorizers -------------------------------------------------------------------------------
    FunctionSpec(
        id=REST_AUTHORIZER_ID,
        handler="functions/authorizer/handle_authorize_request.handler",
        description="REST REQUEST authorizer: API key -> tenant, scopes, limits",
        timeout_s=10,
        access=frozenset({_D}),
        role="authorizer",
    ),
    FunctionSpec(
        id=WEBSOCKET_AUTHORIZER_ID,
        handler="functions/authorizer/handle_authorize_connection.handler",
        description="WebSocket $connect authorizer: API key -> tenant, scopes, limits",
        timeout_s=10,
        access=frozenset({_D}),
        role="authorizer",
    ),
    # --- sync REST routes --------------------------------------------------------------------------
    FunctionSpec(
        id="Health",
        handler="functions/health/handle_get_health.handler",
        description="GET /v1/health: database and Triton status, no key",
        timeout_s=10,
        access=frozenset({_D, _T}),
        rest_routes=(RestRoute(method="GET", path="/v1/health", authorized=False),),
    ),
    FunctionSpec(
        id="Asr",
        handler="functions/asr/handle_transcribe_audio.handler",
        description="Sync speech recognition (ULCA asr)",
        timeout_s=29,
        memory_mb=2048,
        # ingest-read: audioUri may name the caller's own upload (uploads/<tenant>/...); audio-urls: or an https link
        access=frozenset({_D, _T, _R, Access.INGEST_READ, Access.AUDIO_WRITE, Access.AUDIO_URLS}),
        rest_routes=_post("/v1/asr", "/services/inference/asr"),
    ),
    FunctionSpec(
        id="Tts",
        handler="functions/tts/handle_synthesize_speech.handler",
        description="Sync speech synthesis (ULCA tts)",
        timeout_s=29,
        # audio-read: presigned links (audioDelivery "url") are signed with this role
        access=frozenset({_D, _T, _R, Access.AUDIO_READ, Access.AUDIO_WRITE}),
        rest_routes=_post("/v1/tts", "/services/inference/tts"),
    ),
    FunctionSpec(
        id="TranslateText",
        handler="functions/translation/handle_translate_text.handler",
        description="Sync translation (ULCA translation)",
        timeout_s=29,
        # audio-write: copies of inputs/outputs kept unless controlConfig.dataTracking is false
        access=frozenset({_D, _T, _R, Access.AUDIO_WRITE}),
        rest_routes=_post("/v1/nmt", "/services/inference/translation"),
    ),
    FunctionSpec(
        id="Transliterate",
        handler="functions/transliteration/handle_transliterate_text.handler",
        description="Sync transliteration (ULCA transliteration)",
        timeout_s=29,
        # audio-write: copies of inputs/outputs kept unless controlConfig.dataTracking is false
        access=frozenset({_D, _T, _R, Access.AUDIO_WRITE}),
        rest_routes=_post("/v1/transliterate", "/services/inference/transliteration"),
    ),
    FunctionSpec(
        id="IdentifyLanguage",
        handler="functions/language_id/handle_identify_language.handler",
        description="Sync text language identification",
        timeout_s=29,
        # audio-write: copies of inputs/outputs kept unless controlConfig.dataTracking is false
        access=frozenset({_D, _T, _R, Access.AUDIO_WRITE}),
        rest_routes=_post("/v1/detect-language"),
    ),
    FunctionSpec(
        id="Pipeline",
        handler="functions/pipeline/handle_run_pipeline.handler",
        description="Sync chained tasks (ASR -> NMT -> TTS), ULCA pipeline",
        timeout_s=29,
        memory_mb=2048,
        # audio-read: presigned links to generated speech are signed with this role
        access=frozenset({_D, _T, _R, Access.INGEST_READ, Access.AUDIO_READ, Access.AUDIO_WRITE, Access.AUDIO_URLS}),
        rest_routes=_post("/v1/pipeline", "/services/inference/pipeline"),
    ),
    # --- catalog -----------------------------------------------------------------------------------
    FunctionSpec(
        id="ListModels",
        handler="functions/catalog/handle_list_models.handler",
        description="GET /v1/models: the model registry as seen by the caller",
        timeout_s=10,
        access=frozenset({_D, _R}),
        rest_routes=_get("/v1/models"),
    ),
    FunctionSpec(
        id="UlcaPipelineConfig",
        handler="functions/catalog/handle_get_pipeline_config.handler",
        description="ULCA config discovery (getModelsPipeline): serviceIds, languages, inference endpoint",
        timeout_s=10,
        # the model registry alone: no model call, nothing metered (the authorizer checks the key)
        access=frozenset({_R}),
        # {version}: v0 and v1 (checked by the route) on one gateway resource
        rest_routes=_post("/ulca/apis/{version}/model/getModelsPipeline"),
    ),
    FunctionSpec(
        id="GetUsage",
        handler="functions/catalog/handle_get_usage.handler",
        description="GET /v1/usage: metered usage of the caller's tenant",
        timeout_s=10,
        access=frozenset({_D}),
        rest_routes=_get("/v1/usage"),
    ),
    FunctionSpec(
        id="GetOpenapi",
        handler="functions/catalog/handle_get_openapi.handler",
        description="GET /v1/openapi.json and /v1/asyncapi.json: the REST and streaming API descriptions",
        timeout_s=10,
        rest_routes=_get("/v1/openapi.json", "/v1/asyncapi.json"),
    ),
    # --- uploads ------------------------------------------------------------------------------------
    FunctionSpec(
        id="CreateUpload",
        handler="functions/jobs/handle_create_upload.handler",
        description="POST /v1/uploads: presigned PUT URL under uploads/<tenant>/",
        timeout_s=10,
        access=frozenset({_D, Access.INGEST_WRITE}),
        rest_routes=_post("/v1/uploads"),
    ),
    # --- jobs API (docs/jobs.md; one function per route, each with only the access its route needs) -----------
    FunctionSpec(
        id="CreateJob",
        handler="functions/jobs/handle_create_job.handler",
        description="POST /v1/jobs: a batch transcription job for the caller's upload -> job-start queue",
        timeout_s=15,
        # ingest-read: HEAD of the upload; model-registry: the language must have an ASR model; webhook-urls: a
        # job's webhook URL is checked at create
        access=frozenset({_D, _R, Access.INGEST_READ, Access.SEND_JOB_START, Access.WEBHOOK_URLS}),
        rest_routes=_post("/v1/jobs"),
    ),
    FunctionSpec(
        id="GetJob",
        handler="functions/jobs/handle_get_job.handler",
        description="GET /v1/jobs/{jobId}: state, progress and presigned result URLs",
        timeout_s=10,
        access=frozenset({_D, _R, Access.RESULTS_READ}),
        rest_routes=_get("/v1/jobs/{jobId}"),
    ),
    FunctionSpec(
        id="ListJobs",
        handler="functions/jobs/handle_list_jobs.handler",
        description="GET /v1/jobs: the caller's jobs, paged, filtered by state",
        timeout_s=10,
        access=frozenset({_D, _R, Access.RESULTS_READ}),
        rest_routes=_get("/v1/jobs"),
    ),
    FunctionSpec(
        id="CancelJob",
        handler="functions/jobs/handle_cancel_job.handler",
        description="POST /v1/jobs/{jobId}/cancel: the job cancelled, its execution stopped",
        timeout_s=10,
        access=frozenset({_D, _R, Access.STOP_WORKFLOW}),
        rest_routes=_post("/v1/jobs/{jobId}/cancel"),
    ),
    FunctionSpec(
        id="RetryJob",
        handler="functions/jobs/handle_retry_job.handler",
        description="POST /v1/jobs/{jobId}/retry: a failed or cancelled job queued as its next attempt",
        timeout_s=10,
        access=frozenset({_D, _R, Access.SEND_JOB_START}),
        rest_routes=_post("/v1/jobs/{jobId}/retry"),
    ),
    FunctionSpec(
        id="DeleteJob",
        handler="functions/jobs/handle_delete_job.handler",
        description="DELETE /v1/jobs/{jobId}: stop it, delete its input, chunks and results, then its row",
        timeout_s=30,
        # audio-read / results-read: listing the job's chunks/ and results/ prefixes before deleting them
        access=frozenset(
            {
                _D,
                Access.STOP_WORKFLOW,
                Access.INGEST_DELETE,
                Access.AUDIO_READ,
                Access.AUDIO_DELETE,
                Access.RESULTS_READ,
                Access.RESULTS_DELETE,
            }
        ),
        rest_routes=(RestRoute(method="DELETE", path="/v1/jobs/{jobId}"),),
    ),
    FunctionSpec(
        id="GetJobTranscript",
        handler="functions/jobs/handle_get_job_transcript.handler",
        description="GET /v1/jobs/{jobId}/transcript: the transcript so far, or whole once succeeded",
        timeout_s=15,
        access=frozenset({_D, _R, Access.RESULTS_READ}),
        rest_routes=_get("/v1/jobs/{jobId}/transcript"),
    ),
    # --- S3-drop batch path and the workflow's steps (docs/jobs-contract.md) ---------------------------------
    FunctionSpec(
        id="IngestUpload",
        handler="functions/jobs/handle_ingest_upload.handler",
        description="S3 ObjectCreated under incoming/ -> job row -> job-start queue",
        timeout_s=30,
        access=frozenset({_D, Access.INGEST_READ, Access.SEND_JOB_START}),
        queue_source=QueueSource(queue=names.QUEUE_S3_EVENTS, batch_size=10, max_batching_window_s=1),
        role="consumer",
    ),
    FunctionSpec(
        id="StartJob",
        handler="functions/jobs/handle_start_job.handler",
        description="job-start queue -> Step Functions execution",
        timeout_s=30,
        access=frozenset({_D, Access.START_WORKFLOW}),
        queue_source=QueueSource(queue=names.QUEUE_JOB_START, batch_size=10),
        role="consumer",
    ),
    FunctionSpec(
        id="PrepareAudio",
        handler="functions/batch/handle_prepare_audio.handler",
        description="Workflow step: decode, 16 kHz mono, VAD chunks -> S3",
        timeout_s=900,
        # streams the input with ranged GETs (no /tmp copy, memory bounded); the memory buys decode CPU
        memory_mb=2048,
        access=frozenset({_D, _T, _R, Access.INGEST_READ, Access.AUDIO_WRITE, Access.TASK_RESPONSE}),
        queue_source=QueueSource(queue=names.QUEUE_PREPARE, batch_size=1),
        role="consumer",
    ),
    FunctionSpec(
        id="TranscribeChunk",
        handler="functions/batch/handle_transcribe_chunk.handler",
        description="Workflow step (GPU work queue): one chunk through Triton ASR",
        timeout_s=300,
        # database: the chunk's row (idempotent on job+chunk) and the job's progress; the text stays there
        access=frozenset({_D, _T, _R, Access.AUDIO_READ, Access.TASK_RESPONSE}),
        # one chunk per invocation: a batch runs its chunks one after another in one environment, so a Map at
        # concurrency c would get fewer than c chunks in flight; SQS scales the pollers with the queue's depth
        queue_source=QueueSource(queue=names.QUEUE_GPU_WORK, batch_size=1),
        role="consumer",
    ),
    FunctionSpec(
        id="AssembleTranscript",
        handler="functions/batch/handle_assemble_transcript.handler",
        description="Workflow step: merge chunks on the global timeline, JSON/TXT/SRT/VTT -> results, usage",
        timeout_s=300,
        # model-registry: the model name metered with the job's usage; triton: the job's postProcessors (itn)
        access=frozenset({_D, _T, _R, Access.RESULTS_WRITE, Access.TASK_RESPONSE}),
        queue_source=QueueSource(queue=names.QUEUE_ASSEMBLE, batch_size=1),
        role="consumer",
    ),
    FunctionSpec(
        id="RecordJobStatus",
        handler="functions/batch/handle_record_job_status.handler",
        description="Workflow step: record succeeded/failed job status and notify (event + signed webhook)",
        # the webhook's tries (with backoff) fit inside: NotifySettings.webhook_deadline_s (60 s) + the event and
        # one try's timeout (5 s); the job-status queue's visibility follows (6x, queues.py)
        timeout_s=90,
        # webhook-signing-key: the only function that reads the stage's signing secret (it signs the webhooks)
        access=frozenset(
            {_D, Access.TASK_RESPONSE, Access.PUBLISH_JOB_EVENTS, Access.WEBHOOK_URLS, Access.WEBHOOK_SIGNING_KEY}
        ),
        queue_source=QueueSource(queue=names.QUEUE_JOB_STATUS, batch_size=10),
        role="consumer",
    ),
    # --- streaming (the WebSocket API: docs/streaming.md) --------------------------------------------------
    FunctionSpec(
        id="StreamEvent",
        handler="functions/stream/handle_stream_event.handler",
        description="WebSocket routes: $connect/$disconnect/$default/start/audio/stop -> Triton streaming",
        timeout_s=29,
        access=frozenset({_D, _T, _R, Access.WEBSOCKET_MANAGE, Access.SEND_STREAM_TIMERS}),
        websocket_routes=("$connect", "$disconnect", "$default", "start", "audio", "stop"),
    ),
    FunctionSpec(
        id="StreamTimer",
        handler="functions/stream/handle_stream_timer.handler",
        description="stream-timers queue: stream.gap to a client whose frame is still missing; a dropped stream "
        "nobody resumed closed (its Triton sequence ended)",
        timeout_s=30,
        # send-stream-timers: a timer that came early (a clock behind) is sent back for the rest of its delay
        access=frozenset({_D, _T, _R, Access.WEBSOCKET_MANAGE, Access.SEND_STREAM_TIMERS}),
        queue_source=QueueSource(queue=names.QUEUE_STREAM_TIMERS, batch_size=10),
        role="consumer",
    ),
    # --- admin ---------------------------------------------------------------------------------------
    FunctionSpec(
        id=MIGRATION_FUNCTION_ID,
        handler="functions/admin/handle_migrate_database.handler",
        description="Alembic upgrade to head; run at deploy time by a CDK trigger (aurora mode)",
        timeout_s=300,
        access=frozenset({_D}),
        role="admin",
    ),
)


#: Entry points whose handlers are not written yet (none today). They stay out of the template: the contract
#: tests (tests/infra/test_function_environment.py) refuse a deployed entry without code; queues.py still sizes
#: a queue for a planned consumer.
PLANNED_FUNCTIONS: tuple[FunctionSpec, ...] = ()


def function_by_id(function_id: str) -> FunctionSpec:
    """The spec with this id (KeyError when unknown)."""
    for spec in FUNCTIONS:
        if spec.id == function_id:
            return spec
    raise KeyError(function_id)
