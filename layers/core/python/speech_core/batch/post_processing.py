"""A job's post-processors in the `assemble` step: `postProcessors: ["itn"]` puts the merged transcript in
written form ("go forward ten meters" -> "go forward 10 m") through the registry's `itn` model, as the sync API
does (services.text_normalization), before any output is rendered.

Each segment's text goes through the model, in requests of at most the service's `max_batch_items` texts
(the whole text is the segments joined, so it follows). A segment the model rewrote keeps no word times (they
time the words as heard, not the written ones): its subtitle cues share the segment's span by characters.
A post-processor no served model applies for the job's language (punctuation; itn outside en and hi) leaves
the text as heard and is named in the job's `skippedPostProcessors`. Model errors propagate: a transient one
is retried by redelivery (task_worker), a permanent one fails the job with its code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from speech_core.contracts import PostProcessor
from speech_core.inference import Task
from speech_core.observability import logger, tracer
from speech_core.transcripts import Transcript

if TYPE_CHECKING:
    from speech_core.batch.deps import BatchDeps
    from speech_core.inference import ModelSelection

#: texts in one model request when the service names no limit
DEFAULT_BATCH_TEXTS = 64


def _written_texts(texts: list[str], language: str, selection: ModelSelection, deps: BatchDeps) -> list[str]:
    out = list(texts)
    todo = [i for i, text in enumerate(texts) if text.strip()]
    batch = selection.limits.max_batch_items or DEFAULT_BATCH_TEXTS
    for first in range(0, len(todo), batch):
        indexes = todo[first : first + batch]
        results = deps.inference.normalize_texts(selection, [texts[i] for i in indexes], language)
        for index, result in zip(indexes, results, strict=True):
            out[index] = result
    return out


@tracer.capture_method(capture_response=False)
def apply_post_processors(
    transcript: Transcript, requested: list[PostProcessor], language: str, tenant_key: str, deps: BatchDeps
) -> Transcript:
    """The transcript with the served post-processors applied (unchanged when none is)."""
    if PostProcessor.ITN not in requested or language not in deps.registry.supported_languages(Task.ITN):
        return transcript
    selection = deps.registry.select(Task.ITN, language=language, key=tenant_key)
    written = _written_texts([s.text for s in transcript.segments], language, selection, deps)
    segments = [
        s if w == s.text else s.model_copy(update={"text": w, "words": None})
        for s, w in zip(transcript.segments, written, strict=True)
    ]
    rewritten = sum(1 for s, w in zip(transcript.segments, written, strict=True) if w != s.text)
    logger.info("itn applied", extra={"segments": len(segments), "rewritten": rewritten})
    return transcript.model_copy(update={"segments": segments})
