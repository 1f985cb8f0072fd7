"""ULCA request and response models (the shapes Dhruva and Bhashini clients send), with their limits.

camelCase on the wire, snake_case in Python, unknown fields ignored. Validate a body with
`parse_request(Model, body)`: failures become typed SpeechErrors. Importable without network or database.
"""

from typing import TYPE_CHECKING

from speech_core.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from .asr import AsrOutput, AsrRequest, AsrResponse, NBestToken
    from .audio_format import AudioFormat
    from .items import AudioInput, AudioOutput, InputText, Segment, TextInput
    from .language_id import LanguageIdOutput, LanguageIdRequest, LanguageIdResponse, LanguagePrediction
    from .languages import DEFAULT_SCRIPTS, LANGUAGES, SCRIPTS, LanguageCode, ScriptCode
    from .parsing import parse_request, to_speech_error
    from .pipeline import (
        AsrTask,
        LanguageIdTask,
        PipelineInputData,
        PipelineRequest,
        PipelineResponse,
        PipelineTask,
        TaskType,
        TranslationTask,
        TransliterationTask,
        TtsTask,
        find_chain_problem,
        validate_pipeline_chain,
    )
    from .task_configs import (
        AsrConfig,
        AudioDelivery,
        Gender,
        LanguageIdConfig,
        LanguagePair,
        LanguageSpec,
        PostProcessor,
        PreProcessor,
        TranscriptionFormat,
        TranscriptionFormatValue,
        TranslationConfig,
        TransliterationConfig,
        TtsConfig,
        TtsResponseConfig,
    )
    from .translation import TranslationOutput, TranslationRequest, TranslationResponse
    from .transliteration import TransliterationOutput, TransliterationRequest, TransliterationResponse
    from .tts import TtsRequest, TtsResponse
    from .wire_model import ControlConfig, WireModel

#: module -> the names it exports here; each is imported on first access (PEP 562), so a function builds only
#: the models its route uses (the translation function never builds the ASR or pipeline models at cold start)
_EXPORTS: dict[str, tuple[str, ...]] = {
    "asr": ("AsrOutput", "AsrRequest", "AsrResponse", "NBestToken"),
    "audio_format": ("AudioFormat",),
    "items": ("AudioInput", "AudioOutput", "InputText", "Segment", "TextInput"),
    "language_id": ("LanguageIdOutput", "LanguageIdRequest", "LanguageIdResponse", "LanguagePrediction"),
    "languages": ("DEFAULT_SCRIPTS", "LANGUAGES", "SCRIPTS", "LanguageCode", "ScriptCode"),
    "parsing": ("parse_request", "to_speech_error"),
    "pipeline": (
        "AsrTask",
        "LanguageIdTask",
        "PipelineInputData",
        "PipelineRequest",
        "PipelineResponse",
        "PipelineTask",
        "TaskType",
        "TranslationTask",
        "TransliterationTask",
        "TtsTask",
        "find_chain_problem",
        "validate_pipeline_chain",
    ),
    "task_configs": (
        "AsrConfig",
        "AudioDelivery",
        "Gender",
        "LanguageIdConfig",
        "LanguagePair",
        "LanguageSpec",
        "PostProcessor",
        "PreProcessor",
        "TranscriptionFormat",
        "TranscriptionFormatValue",
        "TranslationConfig",
        "TransliterationConfig",
        "TtsConfig",
        "TtsResponseConfig",
    ),
    "translation": ("TranslationOutput", "TranslationRequest", "TranslationResponse"),
    "transliteration": ("TransliterationOutput", "TransliterationRequest", "TransliterationResponse"),
    "tts": ("TtsRequest", "TtsResponse"),
    "wire_model": ("ControlConfig", "WireModel"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


__getattr__ = lazy_getattr(__name__, _MODULE_OF, globals())


__all__ = [
    "DEFAULT_SCRIPTS",
    "LANGUAGES",
    "SCRIPTS",
    "AsrConfig",
    "AsrOutput",
    "AudioDelivery",
    "AsrRequest",
    "AsrResponse",
    "AsrTask",
    "AudioFormat",
    "AudioInput",
    "AudioOutput",
    "ControlConfig",
    "Gender",
    "InputText",
    "LanguageCode",
    "LanguageIdConfig",
    "LanguageIdOutput",
    "LanguageIdRequest",
    "LanguageIdResponse",
    "LanguageIdTask",
    "LanguagePair",
    "LanguagePrediction",
    "LanguageSpec",
    "NBestToken",
    "PipelineInputData",
    "PipelineRequest",
    "PipelineResponse",
    "PipelineTask",
    "PostProcessor",
    "PreProcessor",
    "ScriptCode",
    "Segment",
    "TaskType",
    "TextInput",
    "TranscriptionFormat",
    "TranscriptionFormatValue",
    "TranslationConfig",
    "TranslationOutput",
    "TranslationRequest",
    "TranslationResponse",
    "TranslationTask",
    "TransliterationConfig",
    "TransliterationOutput",
    "TransliterationRequest",
    "TransliterationResponse",
    "TransliterationTask",
    "TtsConfig",
    "TtsRequest",
    "TtsResponse",
    "TtsResponseConfig",
    "TtsTask",
    "WireModel",
    "find_chain_problem",
    "parse_request",
    "to_speech_error",
    "validate_pipeline_chain",
]
