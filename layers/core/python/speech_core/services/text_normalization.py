"""Text normalization around speech: ITN on ASR output, and written -> spoken text before TTS.

- **ITN** (`postProcessors: ["itn"]`): the registry's `itn` model rewrites what ASR heard into written form
  ("i paid two hundred and fifty rupees" -> "i paid ₹250"). It runs on the whole transcript and on each
  segment (subtitle cue), in one batched call.
- **Text normalization** before TTS: the registry's `text_normalization` model spells out numbers, dates,
  currency and units the way they are said ("₹250 on 3 March" -> "two hundred and fifty rupees on the third of
  march"), sentence by sentence, so the synthesizer never reads digits or symbols one by one.

Both apply where the registry has a service for the language; elsewhere the text passes unchanged (and an
ASR response names the post-processors it skipped, see `skipped_post_processors`). Each call is one model in
the request log (`asr+itn`, `text_normalization+tts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from speech_core.contracts import PostProcessor, Segment
from speech_core.inference import Task
from speech_core.observability import tracer
from speech_core.services.dependencies import CallContext

if TYPE_CHECKING:
    from speech_core.inference import ModelRegistry, ModelSelection

#: post-processors a model serves, by the registry task that serves them (punctuation: none installs here)
SERVING_TASK = {PostProcessor.ITN: Task.ITN}


def serves(registry: ModelRegistry, task: Task, language: str) -> bool:
    """Whether the registry has a `task` service for `language`."""
    return language in registry.supported_languages(task)


def skipped_post_processors(requested: Sequence[PostProcessor], language: str, registry: ModelRegistry) -> list[str]:
    """The requested post-processors no served model applies for this language, in request order."""
    skipped: list[str] = []
    for processor in requested:
        task = SERVING_TASK.get(processor)
        if (task is None or not serves(registry, task, language)) and processor.value not in skipped:
            skipped.append(processor.value)
    return skipped


def select_if_served(task: Task, language: str, ctx: CallContext) -> ModelSelection | None:
    """The registry's model for `task` in `language`, or None where none serves it (the text passes as is)."""
    if not serves(ctx.deps.registry, task, language):
        return None
    # the registry directly, not ctx.select: the call's served services (X-Service-Id, config.serviceId) name the
    # task's own model; this helper shows in the request log's model names (`asr+itn`)
    return ctx.deps.registry.select(task, language=language, key=str(ctx.caller.tenant_id))


def _normalize(texts: Sequence[str], language: str, selection: ModelSelection, ctx: CallContext) -> list[str]:
    """Each non-blank text through the model (batches within its limit); blank ones stay as they are."""
    out = list(texts)
    todo = [i for i, text in enumerate(texts) if text.strip()]
    batch = selection.limits.max_batch_items or len(todo) or 1
    for first in range(0, len(todo), batch):
        indexes = todo[first : first + batch]
        results = ctx.deps.inference.normalize_texts(selection, [texts[i] for i in indexes], language)
        for index, result in zip(indexes, results, strict=True):
            out[index] = result
    ctx.call.used_model(selection.model, selection.version)
    return out


@tracer.capture_method(capture_response=False)
def inverse_normalize_transcript(
    text: str, segments: list[Segment], language: str, selection: ModelSelection, ctx: CallContext
) -> tuple[str, list[Segment]]:
    """The transcript and its segments in written form (numbers as digits, currency and units as symbols)."""
    written = _normalize([text, *(s.text for s in segments)], language, selection, ctx)
    return written[0], [s.model_copy(update={"text": w}) for s, w in zip(segments, written[1:], strict=True)]


@tracer.capture_method(capture_response=False)
def normalize_for_speech(
    sentences: list[str], language: str, selection: ModelSelection | None, ctx: CallContext
) -> list[str]:
    """Sentences as they are spoken (numbers, dates, currency in words); unchanged without a model."""
    if selection is None or not sentences:
        return sentences
    return _normalize(sentences, language, selection, ctx)
