"""`config` objects of each task, shared by the single-task requests and the pipeline's tasks."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from .audio_format import AudioFormat
from .languages import LanguageCode, ScriptCode
from .limits import MAX_BEST_TOKEN_COUNT, MAX_SAMPLE_RATE, MAX_TRANSLITERATION_SUGGESTIONS, MIN_SAMPLE_RATE
from .wire_model import TaskConfigBase, WireModel


class Gender(StrEnum):
    """TTS voice (`config.gender`), Triton's `INPUT_SPEAKER_ID`."""

    MALE = "male"
    FEMALE = "female"


class PreProcessor(StrEnum):
    """ASR `preProcessors`: `vad` splits long audio at silences before recognition."""

    VAD = "vad"


class PostProcessor(StrEnum):
    """ASR `postProcessors`: inverse text normalisation ("twenty one" → "21") and punctuation."""

    ITN = "itn"
    PUNCTUATION = "punctuation"


class TranscriptionFormatValue(StrEnum):
    TRANSCRIPT = "transcript"
    SRT = "srt"
    WEBVTT = "webvtt"


def _drop_nulls(value: object) -> object:
    # clients send `null` or `[null]` for "no processors"
    if value is None:
        return []
    if isinstance(value, list):
        return [item for item in value if item is not None]
    return value


def _wrap_bare_format(value: object) -> object:
    # ULCA nests it ({"value": "srt"}); several clients send the bare string: accept both
    return {"value": value} if isinstance(value, str) else value


SampleRate = Annotated[int, Field(ge=MIN_SAMPLE_RATE, le=MAX_SAMPLE_RATE)]


class LanguageSpec(WireModel):
    """`config.language` of a one-language task: `sourceLanguage` and optional `sourceScriptCode`."""

    source_language: LanguageCode
    source_script_code: ScriptCode = None


class LanguagePair(LanguageSpec):
    """`config.language` of a two-language task: adds `targetLanguage` and `targetScriptCode`."""

    target_language: LanguageCode
    target_script_code: ScriptCode = None


class TranscriptionFormat(WireModel):
    value: TranscriptionFormatValue = TranscriptionFormatValue.TRANSCRIPT


class AsrConfig(TaskConfigBase):
    """ASR `config`. `audioFormat` and `samplingRate` are hints: the bytes are probed anyway.

    `bestTokenCount` (0–MAX_BEST_TOKEN_COUNT) asks for n-best alternatives per word.
    """

    language: LanguageSpec
    audio_format: AudioFormat = AudioFormat.WAV
    encoding: str | None = None
    sampling_rate: SampleRate | None = None
    pre_processors: Annotated[list[PreProcessor], BeforeValidator(_drop_nulls)] = []
    post_processors: Annotated[list[PostProcessor], BeforeValidator(_drop_nulls)] = []
    transcription_format: Annotated[TranscriptionFormat, BeforeValidator(_wrap_bare_format)] = TranscriptionFormat()
    best_token_count: int = Field(default=0, ge=0, le=MAX_BEST_TOKEN_COUNT)


class AudioDelivery(StrEnum):
    """How TTS returns audio: base64 in the body (ULCA), or a presigned S3 link for large outputs."""

    INLINE = "inline"
    URL = "url"


class TtsConfig(TaskConfigBase):
    """TTS `config`: voice `gender`, the format and rate of the audio to return, and `audioDelivery`."""

    language: LanguageSpec
    gender: Gender
    audio_format: AudioFormat = AudioFormat.WAV
    sampling_rate: SampleRate | None = None
    audio_delivery: AudioDelivery = AudioDelivery.INLINE


class TranslationConfig(TaskConfigBase):
    """Translation `config`: a language pair whose two sides differ."""

    language: LanguagePair

    @model_validator(mode="after")
    def _different_languages(self) -> TranslationConfig:
        if self.language.source_language == self.language.target_language:
            raise PydanticCustomError(
                "language_pair_same",
                "Translation needs two different languages; both are {code}.",
                {"code": repr(self.language.source_language)},
            )
        return self


class TransliterationConfig(TaskConfigBase):
    """Transliteration `config`: whole sentences (`isSentence`) or words with `numSuggestions` each."""

    language: LanguagePair
    is_sentence: bool = True
    num_suggestions: int = Field(default=5, ge=0, le=MAX_TRANSLITERATION_SUGGESTIONS)


class LanguageIdConfig(TaskConfigBase):
    """Text language detection `config`: nothing required; `language`, if sent, is ignored as a hint."""

    language: LanguageSpec | None = None


class TtsResponseConfig(WireModel):
    """`config` of a TTS response: how to read the returned `audioContent`, and the serviceId that made it."""

    service_id: str | None = None
    language: LanguageSpec
    audio_format: AudioFormat
    sampling_rate: int
    encoding: str = "base64"
