"""Sync speech synthesis: ULCA `TtsRequest` → `TtsResponse`.

Each text is split at sentence boundaries (the model's input limit stays small and prosody resets at each
sentence), normalized to its spoken form where the registry has a text normalization model for the language
(numbers, dates, currency in words: `services.text_normalization`), synthesized sentence by sentence with the
registry's voice, joined with a short pause, resampled
to the requested rate and encoded as WAV, MP3, OGG or FLAC — base64 in the body, or a presigned S3 link.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

from speech_core.audio.formats import AudioContainer
from speech_core.contracts import AudioDelivery, AudioOutput, TtsConfig, TtsRequest, TtsResponse
from speech_core.contracts.task_configs import TtsResponseConfig
from speech_core.db.records import NewResult
from speech_core.errors import ErrorCode, RequestError
from speech_core.inference import Task
from speech_core.observability import tracer
from speech_core.services import text_normalization
from speech_core.services.dependencies import CallContext

if TYPE_CHECKING:  # types only: numpy and the audio stack load with the first synthesis
    import numpy as np

    from speech_core.audio import DecodedAudio
    from speech_core.inference import ModelSelection

#: after ., !, ? and the Devanagari/Bengali danda (।) and double danda (॥), or at line breaks
_SENTENCE_END = re.compile(r"(?<=[.!?।॥])\s+|\n+")
PAUSE_S = 0.15
CONTENT_TYPES = {
    AudioContainer.WAV: "audio/wav",
    AudioContainer.MP3: "audio/mpeg",
    AudioContainer.OGG: "audio/ogg",
    AudioContainer.FLAC: "audio/flac",
}


def split_sentences(text: str, max_chars: int) -> list[str]:
    """Sentences of `text`; one longer than `max_chars` is cut at word boundaries."""
    pieces: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            pieces.append(sentence)
    return pieces


@tracer.capture_method(capture_response=False)
def synthesize_text(
    text: str,
    config: TtsConfig,
    selection: ModelSelection,
    ctx: CallContext,
    normalizer: ModelSelection | None = None,
) -> DecodedAudio:
    """Speech for one text at the requested (or the model's) sample rate; with `normalizer` (a text
    normalization model) each sentence is first rewritten as it is spoken."""
    import numpy as np  # cold start: numpy loads with the first synthesis (the model's answer is an array anyway)

    from speech_core.audio import DecodedAudio, resample  # cold start: soxr loads with the first synthesis

    language = config.language.source_language
    if len(text) > ctx.deps.limits.max_tts_chars:
        raise RequestError(
            ErrorCode.TEXT_TOO_LONG,
            f"text has {len(text)} characters; sync TTS takes at most {ctx.deps.limits.max_tts_chars}",
            details={"maxChars": ctx.deps.limits.max_tts_chars},
        )
    max_chars = selection.limits.max_text_chars or 500
    parts: list[np.ndarray] = []
    rate, version = 0, selection.version
    limit = min(max_chars, 500)
    # spelled out, a sentence grows ("₹1,250,000" is five words): cut again what normalization lengthened
    spoken = text_normalization.normalize_for_speech(split_sentences(text, limit), language, normalizer, ctx)
    for sentence in (piece for said in spoken for piece in split_sentences(said, limit)):
        speech = ctx.deps.inference.synthesize(selection, sentence, language, config.gender.value)
        rate, version = speech.sample_rate, speech.model_version
        if parts:
            parts.append(np.zeros(int(PAUSE_S * rate), dtype=np.float32))
        parts.append(speech.audio)
    ctx.call.used_model(selection.model, version)
    ctx.call.characters += len(text)
    if not parts:  # nothing to say (e.g. a pipeline's ASR heard only silence): a short silence
        return DecodedAudio.from_signal(
            np.zeros(int(PAUSE_S * 16_000), dtype=np.float32), config.sampling_rate or 16_000
        )
    audio = DecodedAudio.from_signal(np.concatenate(parts), rate)
    return resample(audio, config.sampling_rate) if config.sampling_rate else audio


@tracer.capture_method(capture_response=False)
def deliver(audio: DecodedAudio, config: TtsConfig, index: int, ctx: CallContext) -> AudioOutput:
    from speech_core.audio import encode_audio  # cold start: soundfile loads with the first synthesis

    container = AudioContainer(config.audio_format.value)
    encoded = encode_audio(audio, container)
    bucket = ctx.deps.storage.audio_bucket
    key = f"tts/{ctx.tenant_id}/{ctx.request_id}/{index}.{container.value}"
    if config.audio_delivery is AudioDelivery.URL:
        if bucket is None:
            raise RequestError(ErrorCode.REQUEST_INVALID, "audioDelivery 'url' is not available here")
        ctx.deps.objects.put(bucket, key, encoded, CONTENT_TYPES[container])
        return AudioOutput(
            audio_uri=ctx.deps.objects.presigned_get_url(bucket, key, ctx.deps.storage.presigned_url_ttl_s)
        )
    return AudioOutput(audio_content=base64.b64encode(encoded).decode("ascii"))


@tracer.capture_method(capture_response=False)
def synthesize(request: TtsRequest, ctx: CallContext) -> TtsResponse:
    config = request.config
    ctx.call.source_language = config.language.source_language
    selection = ctx.select(
        Task.TTS, language=config.language.source_language, voice=config.gender.value, service_id=config.service_id
    )
    normalizer = text_normalization.select_if_served(Task.TEXT_NORMALIZATION, config.language.source_language, ctx)
    outputs: list[AudioOutput] = []
    rate = config.sampling_rate or 0
    for index, item in enumerate(request.input):
        audio = synthesize_text(item.source, config, selection, ctx, normalizer)
        rate = audio.sample_rate
        ctx.call.audio_seconds += audio.duration_s
        outputs.append(deliver(audio, config, index, ctx))
        ctx.call.results.append(
            NewResult(
                tenant_id=ctx.tenant_id,
                request_id=ctx.request_id,
                task=Task.TTS.value,
                audio_duration_s=round(audio.duration_s, 3),
                sample_rate=audio.sample_rate,
                audio_object_key=None,
            )
        )
    return TtsResponse(
        audio=outputs,
        config=TtsResponseConfig(
            service_id=selection.service_id,
            language=config.language,
            audio_format=config.audio_format,
            sampling_rate=rate,
        ),
    )
