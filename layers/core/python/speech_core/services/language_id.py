"""Sync text language identification: ULCA `LanguageIdRequest` → `LanguageIdResponse`."""

from __future__ import annotations

from speech_core.contracts import (
    DEFAULT_SCRIPTS,
    LanguageIdOutput,
    LanguageIdRequest,
    LanguageIdResponse,
    LanguagePrediction,
)
from speech_core.inference import Task
from speech_core.observability import tracer
from speech_core.services.dependencies import CallContext


@tracer.capture_method(capture_response=False)
def identify(request: LanguageIdRequest, ctx: CallContext) -> LanguageIdResponse:
    texts = [item.source for item in request.input]
    selection = ctx.select(Task.LANGUAGE_ID, service_id=request.config.service_id)
    guesses = ctx.deps.inference.identify_language(selection, texts)
    ctx.call.used_model(selection.model, selection.version)
    ctx.call.characters += sum(len(text) for text in texts)
    return LanguageIdResponse(
        output=[
            LanguageIdOutput(
                source=text,
                lang_prediction=[
                    LanguagePrediction(
                        lang_code=guess.language,
                        script_code=DEFAULT_SCRIPTS.get(guess.language),
                        lang_score=round(min(max(guess.confidence, 0.0), 1.0), 4),
                    )
                ],
            )
            for text, guess in zip(texts, guesses, strict=True)
        ],
        config=request.config.model_copy(update={"service_id": selection.service_id}),
    )
