"""Sync transliteration: ULCA `TransliterationRequest` → `TransliterationResponse`.

The rule-based engine gives one rendering per input, so `numSuggestions` > 1 still returns one.
"""

from __future__ import annotations

from speech_core.contracts import TransliterationOutput, TransliterationRequest, TransliterationResponse
from speech_core.inference import Task
from speech_core.observability import tracer
from speech_core.services.dependencies import CallContext


def transliterate_texts(texts: list[str], source: str, target: str, ctx: CallContext) -> list[str]:
    selection = ctx.select(Task.TRANSLITERATION, source=source, target=target)
    rendered = ctx.deps.inference.transliterate(selection, texts, source, target)
    ctx.call.used_model(selection.model, selection.version)
    ctx.call.characters += sum(len(text) for text in texts)
    return rendered


@tracer.capture_method(capture_response=False)
def transliterate(request: TransliterationRequest, ctx: CallContext) -> TransliterationResponse:
    language = request.config.language
    ctx.call.source_language, ctx.call.target_language = language.source_language, language.target_language
    sources = [item.source for item in request.input]
    targets = transliterate_texts(sources, language.source_language, language.target_language, ctx)
    return TransliterationResponse(
        output=[TransliterationOutput(source=s, target=[t]) for s, t in zip(sources, targets, strict=True)],
        config=request.config,
    )
