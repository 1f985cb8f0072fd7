"""Names used by the CDK app: stack names, construct ids (= stable logical id prefixes), output keys.

Construct ids are part of the CloudFormation logical ids; renaming one replaces the resource on deploy,
so they live here, once. Output keys are the contract with the tests and the local runtime.
"""

from __future__ import annotations

PROJECT = "speech"


def stack_name(stage: str) -> str:
    """The CloudFormation stack name of a stage: one stack per stage."""
    return f"{PROJECT}-{stage}"


def resource_prefix(stage: str) -> str:
    """Prefix of physical names we choose ourselves (buckets, queues, log groups)."""
    return f"{PROJECT}-{stage}"


#: the alias API Gateway invokes where SnapStart is on (it points at the function's latest published version)
LIVE_ALIAS = "live"

# Construct ids of the capabilities (top level of the stack).
NETWORK = "Network"
STORAGE = "Storage"
DATABASE = "Database"
WEBHOOK_SIGNING = "WebhookSigning"
QUEUES = "Queues"
WORKFLOW = "Workflow"
FUNCTIONS = "Functions"
REST_API = "RestApi"
WEBSOCKET_API = "WebSocketApi"
INFERENCE = "Inference"
OBSERVABILITY = "Observability"
CONSOLE = "Console"

# Buckets (construct id -> purpose documented in storage.py).
BUCKET_INGEST = "IngestBucket"
BUCKET_AUDIO = "AudioBucket"
BUCKET_RESULTS = "ResultsBucket"
BUCKET_MODELS = "ModelsBucket"
BUCKET_ACCESS_LOGS = "AccessLogsBucket"

# S3-drop prefixes in the ingest bucket: files under incoming/<tenant>/ start a batch job.
INCOMING_PREFIX = "incoming/"
# Sync-API uploads (POST /v1/uploads, then audioUri) live under uploads/<tenant>/: outside incoming/, so an
# upload never starts a batch job; speech_core.services.audio_input.UPLOADS_PREFIX is the same string.
UPLOADS_PREFIX = "uploads/"
RESULTS_PREFIX = "results/"
# A batch job's 16 kHz chunks and manifest in the audio bucket: chunks/<tenant>/<job>/ (docs/jobs-contract.md).
CHUNKS_PREFIX = "chunks/"

# Queues (each has a DLQ named <name>-dlq).
QUEUE_S3_EVENTS = "s3-events"
QUEUE_JOB_START = "job-start"
QUEUE_PREPARE = "prepare-work"
QUEUE_GPU_WORK = "gpu-work"
QUEUE_ASSEMBLE = "assemble-work"
QUEUE_JOB_STATUS = "job-status"
QUEUE_STREAM_TIMERS = "stream-timers"
ALL_QUEUES = (
    QUEUE_S3_EVENTS,
    QUEUE_JOB_START,
    QUEUE_PREPARE,
    QUEUE_GPU_WORK,
    QUEUE_ASSEMBLE,
    QUEUE_JOB_STATUS,
    QUEUE_STREAM_TIMERS,
)

# Database
DATABASE_USER = "speech_admin"
DATABASE_PORT = 5432

# Triton ports (HTTP, gRPC, metrics) in the container and on the internal load balancer.
TRITON_HTTP_PORT = 8000
TRITON_GRPC_PORT = 8001
TRITON_METRICS_PORT = 8002
TRITON_CONTAINER = "triton"

# Stack output keys (exported only as outputs, not as cross-stack exports).
OUT_STAGE = "Stage"
OUT_REST_API_URL = "RestApiUrl"
OUT_REST_API_ID = "RestApiId"
OUT_WEBSOCKET_URL = "WebSocketUrl"
OUT_WEBSOCKET_CALLBACK_URL = "WebSocketCallbackUrl"
OUT_WEBSOCKET_API_ID = "WebSocketApiId"
OUT_STATE_MACHINE_ARN = "JobStateMachineArn"
OUT_DATABASE_SECRET_ARN = "DatabaseSecretArn"
OUT_DATABASE_PROXY_ENDPOINT = "DatabaseProxyEndpoint"
OUT_WEBHOOK_SIGNING_SECRET_ARN = "WebhookSigningSecretArn"
OUT_TRITON_URL = "TritonUrl"
OUT_ALARM_TOPIC_ARN = "AlarmTopicArn"
OUT_DASHBOARD_NAME = "DashboardName"
OUT_CONSOLE_URL = "ConsoleUrl"
OUT_CONSOLE_BUCKET = "ConsoleBucketName"
OUT_CONSOLE_DISTRIBUTION_ID = "ConsoleDistributionId"


def out_bucket(construct_id: str) -> str:
    """Output key of a bucket's name, e.g. IngestBucketName."""
    return f"{construct_id}Name"


def out_queue_url(queue: str) -> str:
    """Output key of a queue URL, e.g. GpuWorkQueueUrl."""
    return f"{_pascal(queue)}QueueUrl"


def out_dlq_url(queue: str) -> str:
    """Output key of a DLQ URL, e.g. GpuWorkDlqUrl."""
    return f"{_pascal(queue)}DlqUrl"


def out_function_name(function_id: str) -> str:
    """Output key of a function's physical name, e.g. AsrFunctionName."""
    return f"{function_id}FunctionName"


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


#: the CloudWatch namespace of every platform metric; functions read it from POWERTOOLS_METRICS_NAMESPACE
METRICS_NAMESPACE = "SpeechPlatform"
