"""ULCA request and response models (the shapes Dhruva and Bhashini clients send), with their limits.

camelCase on the wire, snake_case in Python, unknown fields ignored. Validate a body with
`parse_request(Model, body)`: failures become typed SpeechErrors. Importable without network or database.
"""

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
