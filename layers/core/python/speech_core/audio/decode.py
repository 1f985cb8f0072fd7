"""Decode WAV, FLAC, OGG or MP3 bytes into float32 samples, refusing bad input with typed errors.

Every cheap check runs before samples are decoded, in this order: empty, too many bytes, unknown
container, unreadable header, sample rate, channel count, declared duration, zero frames, truncation.
So a header that announces hours of audio is refused without allocating them.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from speech_core.errors import AudioError, ErrorCode

from .audio_info import AudioInfo
from .decoded_audio import DecodedAudio
from .formats import AudioContainer
from .limits import AudioLimits
from .probe import corrupt_error, probe_with_header
from .transform import downmix_to_mono, resample

# Containers whose header frame count is exact, so fewer decoded frames means a truncated file.
_EXACT_LENGTH = {AudioContainer.WAV, AudioContainer.FLAC}


def check_size(data: bytes, limits: AudioLimits) -> None:
    """Raise AUDIO_EMPTY or AUDIO_TOO_LARGE from the byte count alone."""
    if not data:
        raise AudioError(ErrorCode.AUDIO_EMPTY, "Audio is empty (0 bytes).")
    if len(data) > limits.max_bytes:
        raise AudioError(
            ErrorCode.AUDIO_TOO_LARGE,
            f"Audio is {len(data)} bytes; at most {limits.max_bytes} are accepted here.",
            details={"bytes": len(data), "maxBytes": limits.max_bytes},
        )


def check_header(info: AudioInfo, limits: AudioLimits) -> None:
    """Raise for a rate, channel count or duration outside `limits`, or zero frames."""
    low, high = limits.min_sample_rate, limits.max_sample_rate
    if not low <= info.sample_rate <= high:
        raise AudioError(
            ErrorCode.AUDIO_UNSUPPORTED_SAMPLE_RATE,
            f"Sample rate {info.sample_rate} Hz is outside {low}–{high} Hz.",
            details={"sampleRate": info.sample_rate, "min": low, "max": high},
        )
    if info.channels > limits.max_channels:
        raise AudioError(
            ErrorCode.AUDIO_UNSUPPORTED_FORMAT,
            f"Audio has {info.channels} channels; at most {limits.max_channels} are accepted.",
            details={"channels": info.channels, "maxChannels": limits.max_channels},
        )
    if info.duration_s > limits.max_seconds:
        raise AudioError(
            ErrorCode.AUDIO_TOO_LONG,
            f"Audio lasts {info.duration_s:.1f} s; at most {limits.max_seconds:g} s are accepted here.",
            details={"seconds": round(info.duration_s, 3), "maxSeconds": limits.max_seconds},
        )
    if info.frames == 0:
        raise AudioError(ErrorCode.AUDIO_NO_SAMPLES, "Audio holds no samples (zero frames).")


def decode_audio(data: bytes, limits: AudioLimits) -> DecodedAudio:
    """Decode `data` with its own channels and rate.

    Raises AudioError: AUDIO_EMPTY, AUDIO_TOO_LARGE, AUDIO_UNSUPPORTED_FORMAT, AUDIO_CORRUPT,
    AUDIO_UNSUPPORTED_SAMPLE_RATE, AUDIO_TOO_LONG, AUDIO_NO_SAMPLES.
    """
    check_size(data, limits)
    info, wav_header = probe_with_header(data)
    check_header(info, limits)
    if wav_header is not None and wav_header.is_truncated:
        raise AudioError(
            ErrorCode.AUDIO_CORRUPT,
            "The WAV audio is truncated: its header declares more data than the file holds.",
            details={
                "declaredBytes": wav_header.declared_data_bytes,
                "availableBytes": wav_header.available_data_bytes,
            },
        )
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise corrupt_error(info.container, exc) from exc
    if samples.shape[0] == 0:
        raise AudioError(ErrorCode.AUDIO_NO_SAMPLES, "Audio holds no decodable samples.")
    if info.container in _EXACT_LENGTH and samples.shape[0] < info.frames:
        raise corrupt_error(info.container, ValueError(f"decoded {samples.shape[0]} of {info.frames} frames"))
    # Decoded length can exceed the header's for MP3/OGG (the header was an estimate): recheck the limit.
    if samples.shape[0] / rate > limits.max_seconds:
        check_header(AudioInfo(info.container, int(rate), samples.shape[1], samples.shape[0]), limits)
    if not np.isfinite(samples).all():
        raise corrupt_error(info.container, ValueError("samples contain NaN or infinity"))
    return DecodedAudio(np.ascontiguousarray(samples), int(rate))


def decode_to_mono(data: bytes, limits: AudioLimits, sample_rate: int) -> DecodedAudio:
    """Decode, downmix to mono and resample to `sample_rate` (16 000 for ASR): the models' input."""
    return resample(downmix_to_mono(decode_audio(data, limits)), sample_rate)
