"""Sync transliteration: ULCA `TransliterationRequest` → `TransliterationResponse`.

`isSentence: true` (the default): each input is rendered whole, one target per input. `isSentence: false`:
each input is a word and gets up to `numSuggestions` candidate renderings, best first (at least one).
"""

from __future__ import annotations

from speech_core.contracts import TransliterationOutput, TransliterationRequest, TransliterationResponse
from speech_core.inference import Task
from speech_core.observability import tracer
from speech_core.services.dependencies import CallContext


def transliterate_texts(
    texts: list[str],
    source: str,
    target: str,
    ctx: CallContext,
    *,
    service_id: str | None = None,
    suggestions: int | None = None,
) -> tuple[list[list[str]], str]:
    """Renderings of each text (one each, or up to `suggestions` per word), and the serviceId that made them."""
    selection = ctx.select(Task.TRANSLITERATION, source=source, target=target, service_id=service_id)
    if suggestions is None:
        rendered = [[text] for text in ctx.deps.inference.transliterate(selection, texts, source, target)]
    else:
        rendered = ctx.deps.inference.transliterate_words(selection, texts, source, target, max(1, suggestions))
    ctx.call.used_model(selection.model, selection.version)
    ctx.call.characters += sum(len(text) for text in texts)
    return rendered, selection.service_id


@tracer.capture_method(capture_response=False)
def transliterate(request: TransliterationRequest, ctx: CallContext) -> TransliterationResponse:
    config = request.config
    language = config.language
    ctx.call.source_language, ctx.call.target_language = language.source_language, language.target_language
    sources = [item.source for item in request.input]
    targets, served_by = transliterate_texts(
        sources,
        language.source_language,
        language.target_language,
        ctx,
        service_id=config.service_id,
        suggestions=None if config.is_sentence else config.num_suggestions,
    )
    return TransliterationResponse(
        output=[TransliterationOutput(source=s, target=t) for s, t in zip(sources, targets, strict=True)],
        config=config.model_copy(update={"service_id": served_by}),
    )
