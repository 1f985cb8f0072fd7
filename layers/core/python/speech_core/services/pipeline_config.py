"""ULCA config discovery: which serviceIds serve a pipeline's tasks, in which languages, and where to call.

Answered from the model registry alone (no model is called, nothing is metered). The chain is checked like an
inference pipeline's (`contracts.pipeline.find_chain_problem`: an unknown task type or tasks that cannot feed
each other are a 400 `pipeline.invalid_chain`). A task's `config.language` narrows its entries; a language
nothing serves (or an unknown code) leaves that task's `config` list empty and drops the chains through it
from `languages` — an empty answer, not an error, as ULCA answers.
"""

from __future__ import annotations

from speech_core.contracts.languages import DEFAULT_SCRIPTS
from speech_core.contracts.pipeline import TaskType, find_chain_problem
from speech_core.contracts.pipeline_config import (
    DiscoveryTask,
    InferenceApiKey,
    InferenceEndpoint,
    PipelineConfigRequest,
    PipelineConfigResponse,
    ServiceConfig,
    ServiceLanguage,
    SourceLanguageOption,
    TaskServices,
)
from speech_core.errors import ErrorCode, RequestError
from speech_core.inference import ModelRegistry, ModelService, Task

#: ULCA task types -> the registry's tasks
REGISTRY_TASK = {
    TaskType.ASR: Task.ASR,
    TaskType.TRANSLATION: Task.TRANSLATION,
    TaskType.TRANSLITERATION: Task.TRANSLITERATION,
    TaskType.TTS: Task.TTS,
    TaskType.LANGUAGE_ID: Task.LANGUAGE_ID,
}
#: the header ULCA clients send their inference key in (this platform's authorizer reads it raw)
INFERENCE_KEY_HEADER = "Authorization"

type Edge = tuple[str, str]


def _pairs(service: ModelService) -> set[Edge]:
    pairs = {(p.source, p.target) for p in service.language_pairs}
    pairs |= {(a, b) for a in service.pairs_among for b in service.pairs_among if a != b}
    return pairs


def _service_edges(service: ModelService, task: DiscoveryTask) -> list[Edge]:
    """The (from, to) languages this service does for the task, narrowed by the task's language filter."""
    language = task.config.language if task.config is not None else None
    source = language.source_language if language is not None else None
    target = language.target_language if language is not None else None
    if service.task in (Task.TRANSLATION, Task.TRANSLITERATION):
        edges = sorted(_pairs(service))
    else:
        edges = [(lang, lang) for lang in service.languages]
    return [(a, b) for a, b in edges if (source is None or a == source) and (target is None or b == target)]


def _entry(service: ModelService, edge: Edge | None) -> ServiceConfig:
    pair = service.task in (Task.TRANSLATION, Task.TRANSLITERATION)
    language = None
    if edge is not None:
        source, target = edge
        language = ServiceLanguage(
            source_language=source,
            source_script_code=DEFAULT_SCRIPTS.get(source),
            target_language=target if pair else None,
            target_script_code=DEFAULT_SCRIPTS.get(target) if pair else None,
        )
    return ServiceConfig(
        service_id=service.service_id,
        model_id=service.model,
        language=language,
        supported_voices=list(service.voices) if service.task is Task.TTS else None,
    )


def describe_pipeline(
    request: PipelineConfigRequest, registry: ModelRegistry, *, callback_url: str, key: str
) -> PipelineConfigResponse:
    """The ULCA discovery answer for `request`; inference goes to `callback_url` with `Authorization: key`."""
    types = [task.task_type for task in request.pipeline_tasks]
    if problem := find_chain_problem(types):
        raise RequestError(ErrorCode.PIPELINE_INVALID_CHAIN, problem, details={"pipelineTasks": types})
    configs: list[TaskServices] = []
    reach: set[Edge] | None = None  # (source language of the chain, language it has reached)
    for task in request.pipeline_tasks:
        registry_task = REGISTRY_TASK[TaskType(task.task_type)]
        entries: list[ServiceConfig] = []
        edges: set[Edge] = set()
        for service in registry.services_for(registry_task):
            if registry_task is Task.LANGUAGE_ID:
                entries.append(_entry(service, None))
                continue
            for edge in _service_edges(service, task):
                entries.append(_entry(service, edge))
                edges.add(edge)
        configs.append(TaskServices(task_type=task.task_type, config=entries))
        if registry_task is Task.LANGUAGE_ID:
            continue  # reads any language and ends the chain: the languages reached stay as they were
        reach = set(edges) if reach is None else {(src, b) for src, cur in reach for a, b in edges if a == cur}
    by_source: dict[str, set[str]] = {}
    for source, target in reach or set():
        by_source.setdefault(source, set()).add(target)
    return PipelineConfigResponse(
        languages=[
            SourceLanguageOption(source_language=source, target_language_list=sorted(targets))
            for source, targets in sorted(by_source.items())
        ],
        pipeline_response_config=configs,
        pipeline_inference_api_end_point=InferenceEndpoint(
            callback_url=callback_url, inference_api_key=InferenceApiKey(name=INFERENCE_KEY_HEADER, value=key)
        ),
    )
