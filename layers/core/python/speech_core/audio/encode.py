"""Encode decoded audio as WAV, FLAC, OGG (Vorbis) or MP3 bytes."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from speech_core.errors import AudioError, ErrorCode

from .decoded_audio import DecodedAudio
from .formats import AudioContainer

_FORMAT_AND_SUBTYPE: dict[AudioContainer, tuple[str, str]] = {
    AudioContainer.WAV: ("WAV", "PCM_16"),
    AudioContainer.FLAC: ("FLAC", "PCM_16"),
    AudioContainer.OGG: ("OGG", "VORBIS"),
    AudioContainer.MP3: ("MP3", "MPEG_LAYER_III"),
}
#: the rates MPEG-1, -2 and -2.5 Layer III define
MP3_SAMPLE_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})


def encode_audio(audio: DecodedAudio, container: AudioContainer) -> bytes:
    """Encode `audio` in `container` (16-bit PCM for WAV/FLAC; Vorbis; MPEG Layer III).

    Samples are clipped to [-1, 1] first so loud input saturates instead of wrapping around.
    Raises AUDIO_UNSUPPORTED_SAMPLE_RATE for MP3 at a rate MPEG does not define.
    """
    if container is AudioContainer.MP3 and audio.sample_rate not in MP3_SAMPLE_RATES:
        raise AudioError(
            ErrorCode.AUDIO_UNSUPPORTED_SAMPLE_RATE,
            f"MP3 cannot carry {audio.sample_rate} Hz; resample to one of {sorted(MP3_SAMPLE_RATES)}.",
            details={"sampleRate": audio.sample_rate, "supported": sorted(MP3_SAMPLE_RATES)},
        )
    fmt, subtype = _FORMAT_AND_SUBTYPE[container]
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio.samples, -1.0, 1.0), audio.sample_rate, format=fmt, subtype=subtype)
    return buffer.getvalue()
