"""Real encoded audio for the audio tests, made with libsndfile's own encoders (no fixtures on disk)."""

from __future__ import annotations

import io
import struct

import numpy as np
import soundfile as sf


def tone(seconds: float, sample_rate: int, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    """A sine at `freq`, half scale, shaped (frames, channels); channel k is scaled by 1/(k+1)."""
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    base = 0.5 * np.sin(2 * np.pi * freq * t)
    return np.stack([base / (k + 1) for k in range(channels)], axis=1).astype(np.float32)


def encode(samples: np.ndarray, sample_rate: int, fmt: str, subtype: str | None = None) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, sample_rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def wav_header_only(seconds: float, sample_rate: int = 16_000, channels: int = 1) -> bytes:
    """A 44-byte PCM WAV header whose data chunk declares `seconds` of 16-bit audio, and no data at all."""
    block_align = 2 * channels
    data_bytes = int(seconds * sample_rate) * block_align
    fmt = struct.pack("<HHIIHH", 1, channels, sample_rate, sample_rate * block_align, block_align, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", data_bytes)
    )
