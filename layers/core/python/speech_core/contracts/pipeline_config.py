"""ULCA config discovery (`POST /ulca/apis/v0/model/getModelsPipeline`): request and response shapes.

A ULCA/Bhashini client first asks which serviceId serves each task of its pipeline, in which languages, and
where to send inference with which key; then it calls that endpoint. Request:
`{"pipelineTasks": [{"taskType", "config"?: {"language": {...}}}], "pipelineRequestConfig": {"pipelineId"}}`.
Response: `languages` (each source language with the target languages the whole chain reaches from it),
`pipelineResponseConfig` (per task, one entry per service and language it serves), and
`pipelineInferenceAPIEndPoint` (`callbackUrl` and `inferenceApiKey {name, value}`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .limits import MAX_PIPELINE_TASKS, MAX_SERVICE_ID_CHARS
from .wire_model import WireModel

MAX_LANGUAGE_FILTER_CHARS = 32
MAX_TASK_TYPE_CHARS = 64


class LanguageFilter(WireModel):
    """`config.language` of a discovery task: narrows the answer to these languages (unknown ones match nothing)."""

    source_language: str | None = Field(default=None, max_length=MAX_LANGUAGE_FILTER_CHARS)
    target_language: str | None = Field(default=None, max_length=MAX_LANGUAGE_FILTER_CHARS)


class DiscoveryTaskConfig(WireModel):
    language: LanguageFilter | None = None
    service_id: str | None = Field(default=None, max_length=MAX_SERVICE_ID_CHARS)


class DiscoveryTask(WireModel):
    """One `pipelineTasks[]` entry: the task type (`asr`, `translation`, `tts`, `transliteration`,
    `txt-lang-detection`) and an optional language filter. An unknown type is answered 400, as is a chain whose
    tasks cannot feed each other (`pipeline.invalid_chain`)."""

    task_type: str = Field(max_length=MAX_TASK_TYPE_CHARS)
    config: DiscoveryTaskConfig | None = None


class PipelineRequestConfig(WireModel):
    """`pipelineRequestConfig.pipelineId`: the ULCA pipeline the client was given. This platform serves one
    pipeline, its model registry: any id is accepted and recorded."""

    pipeline_id: str = Field(min_length=1, max_length=MAX_SERVICE_ID_CHARS)


class PipelineConfigRequest(WireModel):
    pipeline_tasks: list[DiscoveryTask] = Field(min_length=1, max_length=MAX_PIPELINE_TASKS)
    pipeline_request_config: PipelineRequestConfig


class SourceLanguageOption(WireModel):
    """A language the chain can start from, and the languages it can end in from there."""

    source_language: str
    target_language_list: list[str]


def _is_none(value: object) -> bool:
    return value is None


def omitted() -> Any:
    """An optional field left out of the JSON when unset (as ULCA does), however the framework serializes it."""
    return Field(default=None, exclude_if=_is_none)


class ServiceLanguage(WireModel):
    source_language: str
    source_script_code: str | None = omitted()
    target_language: str | None = omitted()
    target_script_code: str | None = omitted()


class ServiceConfig(WireModel):
    """One service of a task for one language (or pair): send its `serviceId` in the inference call's config."""

    service_id: str
    model_id: str
    language: ServiceLanguage | None = omitted()
    domain: list[str] = ["general"]
    #: TTS: the voices (`config.gender`) this service speaks
    supported_voices: list[str] | None = omitted()


class TaskServices(WireModel):
    task_type: str
    config: list[ServiceConfig]


class InferenceApiKey(WireModel):
    """The header a client sends with inference calls: `{name: value}`."""

    name: str
    value: str


class InferenceEndpoint(WireModel):
    callback_url: str
    inference_api_key: InferenceApiKey
    is_multilingual_enabled: bool = True
    is_sync_api: bool = True


class PipelineConfigResponse(WireModel):
    languages: list[SourceLanguageOption]
    pipeline_response_config: list[TaskServices]
    #: ULCA spells it with "API" in capitals
    pipeline_inference_api_end_point: InferenceEndpoint = Field(alias="pipelineInferenceAPIEndPoint")
