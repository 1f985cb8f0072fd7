"""Sync translation: ULCA `TranslationRequest` → `TranslationResponse` (one batched model call)."""

from __future__ import annotations

from speech_core.contracts import TranslationOutput, TranslationRequest, TranslationResponse
from speech_core.db.records import NewResult
from speech_core.inference import Task
from speech_core.observability import tracer
from speech_core.services.dependencies import CallContext


def translate_texts(
    texts: list[str], source: str, target: str, ctx: CallContext, service_id: str | None = None
) -> tuple[list[str], str]:
    """The translations, and the serviceId of the service that made them."""
    selection = ctx.select(Task.TRANSLATION, source=source, target=target, service_id=service_id)
    translations = ctx.deps.inference.translate(selection, texts, source, target)
    ctx.call.used_model(selection.model, selection.version)
    ctx.call.characters += sum(len(text) for text in texts)
    return [t.target for t in translations], selection.service_id


@tracer.capture_method(capture_response=False)
def translate(request: TranslationRequest, ctx: CallContext) -> TranslationResponse:
    language = request.config.language
    ctx.call.source_language, ctx.call.target_language = language.source_language, language.target_language
    sources = [item.source for item in request.input]
    targets, served_by = translate_texts(
        sources, language.source_language, language.target_language, ctx, request.config.service_id
    )
    for target in targets:
        ctx.call.results.append(
            NewResult(
                tenant_id=ctx.tenant_id,
                request_id=ctx.request_id,
                task=Task.TRANSLATION.value,
                translated_text=target,
                detected_language=language.source_language,
            )
        )
    return TranslationResponse(
        output=[TranslationOutput(source=s, target=t) for s, t in zip(sources, targets, strict=True)],
        config=request.config.model_copy(update={"service_id": served_by}),
    )
