"""Channel and rate changes on decoded audio."""

from __future__ import annotations

import numpy as np
import soxr

from .decoded_audio import DecodedAudio


def downmix_to_mono(audio: DecodedAudio) -> DecodedAudio:
    """Average the channels into one. Mono input is returned unchanged."""
    if audio.channels == 1:
        return audio
    mono = audio.samples.mean(axis=1, dtype=np.float32, keepdims=True)
    return DecodedAudio(mono, audio.sample_rate)


def resample(audio: DecodedAudio, sample_rate: int, quality: str = "HQ") -> DecodedAudio:
    """Resample to `sample_rate` with soxr (band-limited, high quality). Same rate: unchanged."""
    if sample_rate <= 0:
        raise ValueError("sample_rate must be positive")
    if sample_rate == audio.sample_rate:
        return audio
    out = soxr.resample(audio.samples, audio.sample_rate, sample_rate, quality=quality)
    return DecodedAudio(np.ascontiguousarray(out, dtype=np.float32).reshape(-1, audio.channels), sample_rate)
