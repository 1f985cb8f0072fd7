"""Sync speech recognition: ULCA `AsrRequest` → `AsrResponse`.

Per audio item: bytes (inline or own upload) → decode, downmix, resample to 16 kHz with the sync limits
(longer audio: 413 pointing at the jobs API) → optional VAD split → the registry's ASR model →
word timings grouped into segments → plain text, SRT or WebVTT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from speech_core.audio import AudioLimits
from speech_core.contracts import (
    AsrConfig,
    AsrOutput,
    AsrRequest,
    AsrResponse,
    AudioInput,
    PostProcessor,
    PreProcessor,
    Segment,
    TranscriptionFormatValue,
)
from speech_core.db.records import NewResult
from speech_core.db.records import Segment as StoredSegment
from speech_core.errors import AudioError, ErrorCode
from speech_core.inference import Task
from speech_core.observability import tracer
from speech_core.services import text_normalization
from speech_core.services.audio_input import read_audio_bytes
from speech_core.services.dependencies import CallContext
from speech_core.services.subtitles import group_words, to_srt, to_webvtt

if TYPE_CHECKING:  # types only: numpy and the audio stack load with the first audio a call decodes
    from speech_core.audio import DecodedAudio
    from speech_core.inference import ModelSelection, WordSegment

ASR_SAMPLE_RATE = 16_000
BATCH_API = "POST /v1/jobs"


@tracer.capture_method(capture_response=False)
def decode_for_asr(data: bytes, ctx: CallContext) -> DecodedAudio:
    """16 kHz mono within the sync limits; over-long audio is refused with a pointer to batch jobs."""
    from speech_core.audio import decode_to_mono  # cold start: numpy, soundfile and soxr load with the first audio

    limits = ctx.deps.limits
    try:
        return decode_to_mono(
            data, AudioLimits(max_bytes=limits.max_audio_bytes, max_seconds=limits.max_audio_seconds), ASR_SAMPLE_RATE
        )
    except AudioError as error:
        if error.code is not ErrorCode.AUDIO_TOO_LONG:
            raise
        raise AudioError(
            ErrorCode.AUDIO_TOO_LONG,
            f"{error.message} Sync ASR takes up to {limits.max_audio_seconds:g} s; "
            f"use the batch jobs API ({BATCH_API}) for longer audio.",
            details={**error.details, "batchApi": BATCH_API},
        ) from error


def _recognise(
    audio: DecodedAudio, config: AsrConfig, selection: ModelSelection, ctx: CallContext
) -> tuple[list[WordSegment], float, str]:
    """Words with times over the whole item, mean confidence, and the model version that answered."""
    import numpy as np  # cold start: loaded with the decoded audio already; never at import

    language = config.language.source_language
    signal = audio.signal
    if PreProcessor.VAD in config.pre_processors:
        vad = ctx.select(Task.VAD)
        regions = ctx.deps.inference.detect_speech(vad, signal)
        ctx.call.used_model(vad.model, vad.version)
    else:
        regions = None
    words: list[WordSegment] = []
    confidences: list[float] = []
    version = selection.version
    spans = [(0.0, audio.duration_s)] if regions is None else [(r.start, r.end) for r in regions]
    for start, end in spans:
        piece = signal[int(start * ASR_SAMPLE_RATE) : int(end * ASR_SAMPLE_RATE)]
        if piece.size == 0:
            continue
        transcript = ctx.deps.inference.transcribe(selection, np.ascontiguousarray(piece), language)
        version = transcript.model_version
        if transcript.text:
            confidences.append(transcript.confidence)
        words += [w.model_copy(update={"start": w.start + start, "end": w.end + start}) for w in transcript.segments]
    ctx.call.used_model(selection.model, version)
    confidence = sum(confidences) / len(confidences) if confidences else 0.0
    return words, confidence, version


def _render(text: str, segments: list[Segment], config: AsrConfig) -> str:
    form = config.transcription_format.value
    if form is TranscriptionFormatValue.SRT:
        return to_srt(segments)
    if form is TranscriptionFormatValue.WEBVTT:
        return to_webvtt(segments)
    return text


@tracer.capture_method(capture_response=False)
def transcribe_item(
    item: AudioInput, config: AsrConfig, selection: ModelSelection, ctx: CallContext, itn: ModelSelection | None = None
) -> AsrOutput:
    """One audio item's transcript; with `itn` (the request's `postProcessors: ["itn"]`) in written form."""
    data = read_audio_bytes(item, ctx)
    audio = decode_for_asr(data, ctx)
    ctx.call.input_bytes += len(data)
    ctx.call.audio_seconds += audio.duration_s
    words, confidence, _ = _recognise(audio, config, selection, ctx)
    segments = group_words(words)
    text = " ".join(segment.text for segment in segments)
    if itn is not None:
        language = config.language.source_language
        text, segments = text_normalization.inverse_normalize_transcript(text, segments, language, itn, ctx)
    ctx.call.results.append(
        NewResult(
            tenant_id=ctx.tenant_id,
            request_id=ctx.request_id,
            task=Task.ASR.value,
            transcript=text,
            confidence=round(confidence, 4),
            detected_language=config.language.source_language,
            segments=[
                StoredSegment(start_s=s.start, end_s=s.end, text=s.text, confidence=s.confidence) for s in segments
            ],
            audio_duration_s=round(audio.duration_s, 3),
            sample_rate=ASR_SAMPLE_RATE,
        )
    )
    return AsrOutput(
        source=_render(text, segments, config), segments=segments, detected_language=config.language.source_language
    )


@tracer.capture_method(capture_response=False)
def transcribe(request: AsrRequest, ctx: CallContext) -> AsrResponse:
    language = request.config.language.source_language
    ctx.call.source_language = language
    # the cheap check first: an unsupported language is refused before any audio is read or decoded
    selection = ctx.select(Task.ASR, language=language, service_id=request.config.service_id)
    itn = (
        text_normalization.select_if_served(Task.ITN, language, ctx)
        if PostProcessor.ITN in request.config.post_processors
        else None
    )
    outputs = [transcribe_item(item, request.config, selection, ctx, itn) for item in request.audio]
    # config.serviceId says which service served (ULCA clients read it back)
    return AsrResponse(output=outputs, config=request.config.model_copy(update={"service_id": selection.service_id}))
