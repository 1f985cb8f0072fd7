"""Pipeline request and response (Bhashini/Dhruva `/services/inference/pipeline`) and chain rules.

A chain is valid when each task can read what the one before it produced:
- `asr` reads audio and must come first; `tts` produces audio and must come last;
- `translation`, `transliteration` read and produce text and may sit anywhere in between;
- `txt-lang-detection` produces a language label, not text, so it must come last;
- the language a task reads (`sourceLanguage`) is the one the previous task produced (its
  `targetLanguage` for translation and transliteration, else its `sourceLanguage`).
So asr→translation→tts, translation→tts and transliteration→translation are valid; tts→translation,
asr→asr and txt-lang-detection→translation are not. Dhruva answers an invalid chain with an empty
response; this platform answers 400 `pipeline.invalid_chain` saying why.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from speech_core.errors import ErrorCode, RequestError

from .asr import AsrResponse
from .items import AudioInput, TextInput
from .language_id import LanguageIdResponse
from .limits import MAX_AUDIO_ITEMS, MAX_PIPELINE_TASKS, MAX_TRANSLATION_BATCH
from .task_configs import AsrConfig, LanguageIdConfig, TranslationConfig, TransliterationConfig, TtsConfig
from .translation import TranslationResponse
from .transliteration import TransliterationResponse
from .tts import TtsResponse
from .wire_model import ControlConfig, WireModel


class TaskType(StrEnum):
    """`taskType` values the platform runs (Bhashini's names)."""

    ASR = "asr"
    TRANSLATION = "translation"
    TRANSLITERATION = "transliteration"
    TTS = "tts"
    LANGUAGE_ID = "txt-lang-detection"


_READS: dict[TaskType, str] = {
    TaskType.ASR: "audio",
    TaskType.TRANSLATION: "text",
    TaskType.TRANSLITERATION: "text",
    TaskType.TTS: "text",
    TaskType.LANGUAGE_ID: "text",
}
_PRODUCES: dict[TaskType, str] = {
    TaskType.ASR: "text",
    TaskType.TRANSLATION: "text",
    TaskType.TRANSLITERATION: "text",
    TaskType.TTS: "audio",
    TaskType.LANGUAGE_ID: "a language label",
}


class AsrTask(WireModel):
    task_type: Literal["asr"]
    config: AsrConfig


class TranslationTask(WireModel):
    task_type: Literal["translation"]
    config: TranslationConfig


class TransliterationTask(WireModel):
    task_type: Literal["transliteration"]
    config: TransliterationConfig


class TtsTask(WireModel):
    task_type: Literal["tts"]
    config: TtsConfig


class LanguageIdTask(WireModel):
    task_type: Literal["txt-lang-detection"]
    config: LanguageIdConfig = LanguageIdConfig()


PipelineTask = Annotated[
    AsrTask | TranslationTask | TransliterationTask | TtsTask | LanguageIdTask,
    Field(discriminator="task_type"),
]


def _language_read(task: WireModel) -> str | None:
    language = getattr(task.config, "language", None)  # type: ignore[attr-defined]
    return language.source_language if language is not None else None


def _language_produced(task: WireModel) -> str | None:
    language = getattr(task.config, "language", None)  # type: ignore[attr-defined]
    if language is None:
        return None
    return getattr(language, "target_language", language.source_language)


def find_chain_problem(tasks: Sequence[WireModel | TaskType | str]) -> str | None:
    """Why `tasks` (parsed tasks, or bare task types) cannot run in this order; None when they can."""
    if not tasks:
        return "pipelineTasks is empty."
    try:
        types = [TaskType(task if isinstance(task, str) else str(getattr(task, "task_type", ""))) for task in tasks]
    except ValueError as exc:
        return f"{exc}; known task types: {', '.join(TaskType)}."
    for index, (before, after) in enumerate(zip(types, types[1:], strict=False), start=2):
        if after is TaskType.ASR:
            return f"Task {index} is asr, which reads audio from the request and so must be the first task."
        if _PRODUCES[before] != _READS[after]:
            return (
                f"Task {index} ({after}) reads {_READS[after]}, but task {index - 1} ({before}) "
                f"produces {_PRODUCES[before]}."
            )
        earlier, task = tasks[index - 2], tasks[index - 1]
        if isinstance(earlier, WireModel) and isinstance(task, WireModel):
            produced, read = _language_produced(earlier), _language_read(task)
            if produced and read and produced != read:
                return (
                    f"Task {index} ({after}) reads language {read!r}, but task {index - 1} ({before}) "
                    f"produces {produced!r}."
                )
    return None


def validate_pipeline_chain(tasks: Sequence[WireModel | TaskType | str]) -> None:
    """Raise RequestError(PIPELINE_INVALID_CHAIN) saying why `tasks` cannot run in this order."""
    problem = find_chain_problem(tasks)
    if problem:
        names = [str(getattr(task, "task_type", task)) for task in tasks]
        raise RequestError(ErrorCode.PIPELINE_INVALID_CHAIN, problem, details={"pipelineTasks": names})


class PipelineInputData(WireModel):
    """`inputData`: `audio` when the first task is asr, `input` (text) otherwise."""

    input: list[TextInput] | None = Field(default=None, min_length=1, max_length=MAX_TRANSLATION_BATCH)
    audio: list[AudioInput] | None = Field(default=None, min_length=1, max_length=MAX_AUDIO_ITEMS)


class PipelineRequest(WireModel):
    """`{"pipelineTasks": [{taskType, config}], "inputData": {...}, "controlConfig": {...}}`.

    1–MAX_PIPELINE_TASKS tasks forming a valid chain (see the module docstring).
    """

    pipeline_tasks: list[PipelineTask] = Field(min_length=1, max_length=MAX_PIPELINE_TASKS)
    input_data: PipelineInputData
    control_config: ControlConfig = ControlConfig()

    @model_validator(mode="after")
    def _valid_chain_and_input(self) -> PipelineRequest:
        problem = find_chain_problem(self.pipeline_tasks)
        if problem:
            raise PydanticCustomError("pipeline_invalid_chain", problem)
        first = TaskType(self.pipeline_tasks[0].task_type)
        needs = "audio" if _READS[first] == "audio" else "input"
        if getattr(self.input_data, needs) is None:
            raise PydanticCustomError(
                "pipeline_input_missing",
                "The first task ({task}) reads {kind}, so inputData.{field} is required.",
                {"task": first.value, "kind": _READS[first], "field": needs},
            )
        return self


TaskResponse = Annotated[
    AsrResponse | TranslationResponse | TransliterationResponse | TtsResponse | LanguageIdResponse,
    Field(discriminator="task_type"),
]


class PipelineResponse(WireModel):
    """`{"pipelineResponse": [one response per task, in order]}`."""

    pipeline_response: list[TaskResponse]
