"""Python client for the speech platform: `SpeechClient` (sync), `AsyncSpeechClient` (asyncio), and the
`speech` command line (`speech_client.cli`). See client/README.md."""

__version__ = "0.1.0"

from .async_client import AsyncSpeechClient  # noqa: E402
from .client import SpeechClient  # noqa: E402
from .config import ClientConfig  # noqa: E402
from .errors import (  # noqa: E402
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ExitCode,
    InvalidRequestError,
    JobFailedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    SpeechError,
    StreamError,
    TransportError,
)
from .models import Job, JobState, Transcript, TranscriptFormat  # noqa: E402
from .retry_policy import RetryPolicy  # noqa: E402
from .streaming import End, Final, Partial, StreamEvent, TranslationEvent, UtteranceError  # noqa: E402

__all__ = [
    "ApiError",
    "AsyncSpeechClient",
    "AuthenticationError",
    "ClientConfig",
    "ConfigurationError",
    "ConflictError",
    "End",
    "ExitCode",
    "Final",
    "InvalidRequestError",
    "Job",
    "JobFailedError",
    "JobState",
    "NotFoundError",
    "Partial",
    "PermissionDeniedError",
    "RateLimitedError",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "SpeechClient",
    "SpeechError",
    "StreamError",
    "StreamEvent",
    "Transcript",
    "TranscriptFormat",
    "TransportError",
    "TranslationEvent",
    "UtteranceError",
]
