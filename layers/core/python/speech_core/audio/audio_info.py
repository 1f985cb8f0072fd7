"""What a container says about its audio, learned without decoding samples."""

from __future__ import annotations

from dataclasses import dataclass

from .formats import AudioContainer


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """Header facts about one encoded input."""

    container: AudioContainer
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0
