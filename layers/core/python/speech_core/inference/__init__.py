"""Calls to the Triton model cluster: the model registry (which model and version serves a request) and a
typed client over tritonclient (gRPC by default, HTTP too).

    registry = load_packaged_registry(settings.model_registry)   # registries/<name>.yaml
    selection = registry.select("asr", language="en", key=tenant_id)   # LanguageError if unsupported
    transcript = get_inference_client(settings.triton_url).transcribe(selection, audio, "en")
    # record selection.service_id and transcript.model_version with the request

May import: speech_core.errors, speech_core.observability (its tracer), numpy, pydantic, yaml, tritonclient.
Imported by the services and workers.
"""

from typing import TYPE_CHECKING

from speech_core.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from .client import InferenceClient, RetryPolicy, StreamingSession, get_inference_client, next_sequence_id
    from .registry import (
        LanguagePair,
        ModelRegistry,
        ModelSelection,
        ModelService,
        ServiceLimits,
        Task,
        WeightedVersion,
        load_packaged_registry,
        load_registry,
        packaged_registry_names,
        parse_registry,
    )
    from .results import (
        LanguageGuess,
        SpeechSegment,
        StreamingUpdate,
        SynthesizedSpeech,
        Transcript,
        Translation,
        WordSegment,
    )
    from .transport import GrpcTransport, HttpTransport, InferReply, SequenceFlags, TritonTransport, get_transport
    from .triton_errors import is_retryable, map_triton_error

#: where each public name lives; a name is imported on first access (PEP 562), so a route that only needs the
#: registry's `Task` does not load numpy and tritonclient (the client and transport) at cold start
_MODULE_OF = {
    **dict.fromkeys(
        ("InferenceClient", "RetryPolicy", "StreamingSession", "get_inference_client", "next_sequence_id"), "client"
    ),
    **dict.fromkeys(
        (
            "LanguagePair",
            "ModelRegistry",
            "ModelSelection",
            "ModelService",
            "ServiceLimits",
            "Task",
            "WeightedVersion",
            "load_packaged_registry",
            "load_registry",
            "packaged_registry_names",
            "parse_registry",
        ),
        "registry",
    ),
    **dict.fromkeys(
        (
            "LanguageGuess",
            "SpeechSegment",
            "StreamingUpdate",
            "SynthesizedSpeech",
            "Transcript",
            "Translation",
            "WordSegment",
        ),
        "results",
    ),
    **dict.fromkeys(
        ("GrpcTransport", "HttpTransport", "InferReply", "SequenceFlags", "TritonTransport", "get_transport"),
        "transport",
    ),
    **dict.fromkeys(("is_retryable", "map_triton_error"), "triton_errors"),
}


__getattr__ = lazy_getattr(__name__, _MODULE_OF, globals())


__all__ = [
    "GrpcTransport",
    "HttpTransport",
    "InferReply",
    "InferenceClient",
    "LanguageGuess",
    "LanguagePair",
    "ModelRegistry",
    "ModelSelection",
    "ModelService",
    "RetryPolicy",
    "SequenceFlags",
    "ServiceLimits",
    "SpeechSegment",
    "StreamingSession",
    "StreamingUpdate",
    "SynthesizedSpeech",
    "Task",
    "Transcript",
    "Translation",
    "TritonTransport",
    "WeightedVersion",
    "WordSegment",
    "get_inference_client",
    "get_transport",
    "is_retryable",
    "load_packaged_registry",
    "load_registry",
    "map_triton_error",
    "next_sequence_id",
    "packaged_registry_names",
    "parse_registry",
]
