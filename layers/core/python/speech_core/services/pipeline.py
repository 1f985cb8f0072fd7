"""Chained tasks (Bhashini/Dhruva `pipeline`): each task's output feeds the next.

The chain was validated with the request (`contracts.pipeline`); here the tasks run in order through the
same services as the single-task routes. Text flows as plain text (an ASR step's segments joined, whatever
its transcription format); every task's own response is returned, in order.
"""

from __future__ import annotations

from speech_core.contracts import (
    AsrRequest,
    AsrTask,
    LanguageIdRequest,
    LanguageIdTask,
    PipelineRequest,
    PipelineResponse,
    TextInput,
    TranslationRequest,
    TranslationTask,
    TransliterationRequest,
    TransliterationTask,
    TtsRequest,
    TtsTask,
)
from speech_core.contracts.pipeline import TaskResponse
from speech_core.observability import tracer
from speech_core.services import asr, language_id, translation, transliteration, tts
from speech_core.services.dependencies import CallContext


def _inputs(texts: list[str]) -> list[TextInput]:
    # a step may legitimately produce empty text (silence): carry it through without re-validating
    return [TextInput.model_construct(source=text) for text in texts]


@tracer.capture_method(capture_response=False)
def run_pipeline(request: PipelineRequest, ctx: CallContext) -> PipelineResponse:
    texts = [item.source for item in request.input_data.input or []]
    control = request.control_config
    responses: list[TaskResponse] = []
    for task in request.pipeline_tasks:
        response: TaskResponse
        if isinstance(task, AsrTask):
            response = asr.transcribe(
                AsrRequest(audio=request.input_data.audio or [], config=task.config, control_config=control), ctx
            )
            texts = [" ".join(segment.text for segment in output.segments or []) for output in response.output]
        elif isinstance(task, TranslationTask):
            response = translation.translate(
                TranslationRequest.model_construct(input=_inputs(texts), config=task.config, control_config=control),
                ctx,
            )
            texts = [output.target for output in response.output]
        elif isinstance(task, TransliterationTask):
            response = transliteration.transliterate(
                TransliterationRequest.model_construct(
                    input=_inputs(texts), config=task.config, control_config=control
                ),
                ctx,
            )
            texts = [output.target[0] if output.target else "" for output in response.output]
        elif isinstance(task, TtsTask):
            response = tts.synthesize(
                TtsRequest.model_construct(input=_inputs(texts), config=task.config, control_config=control), ctx
            )
        else:
            assert isinstance(task, LanguageIdTask)
            response = language_id.identify(
                LanguageIdRequest.model_construct(input=_inputs(texts), config=task.config, control_config=control), ctx
            )
        responses.append(response)
    return PipelineResponse(pipeline_response=responses)
