"""Decoded audio: float32 samples in [-1, 1] and their rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    """Samples shaped (frames, channels), float32, at `sample_rate` Hz."""

    samples: np.ndarray
    sample_rate: int

    def __post_init__(self) -> None:
        if self.samples.ndim != 2 or self.samples.dtype != np.float32:
            raise ValueError(
                f"samples must be 2-D float32 (frames, channels), got {self.samples.ndim}-D {self.samples.dtype}"
            )
        if self.sample_rate <= 0:
            raise ValueError("sample_rate must be positive")

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    @property
    def signal(self) -> np.ndarray:
        """The 1-D signal of mono audio (what Triton's `AUDIO_SIGNAL` takes per batch row)."""
        if self.channels != 1:
            raise ValueError(f"signal needs mono audio, this has {self.channels} channels; downmix first")
        return self.samples[:, 0]

    @classmethod
    def from_signal(cls, signal: np.ndarray, sample_rate: int) -> DecodedAudio:
        """Wrap a 1-D mono signal (e.g. a TTS model's output)."""
        return cls(np.ascontiguousarray(signal, dtype=np.float32).reshape(-1, 1), sample_rate)
