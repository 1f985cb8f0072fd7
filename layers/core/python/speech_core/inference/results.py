"""What the inference client returns: typed results, each naming the model version that produced it."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


class WordSegment(_Result):
    """A recognised word with its time span (seconds from the start of the audio) and posterior."""

    word: str
    start: float
    end: float
    confidence: float


class Transcript(_Result):
    text: str
    confidence: float = Field(description="mean posterior probability of the recognised words, 0..1")
    segments: list[WordSegment]
    model: str
    model_version: str


class StreamingUpdate(_Result):
    """The answer to one streamed chunk: a partial hypothesis, or the final transcript at sequence end."""

    text: str
    is_final: bool
    confidence: float
    segments: list[WordSegment]
    model_version: str
    #: the utterance's samples (mono float32 16 kHz), only from `StreamingSession.end_utterance()`
    audio: np.ndarray | None = None


class SynthesizedSpeech(_Result):
    audio: np.ndarray = Field(description="mono float32 samples in [-1, 1]")
    sample_rate: int
    model_version: str

    @property
    def duration_s(self) -> float:
        return self.audio.size / self.sample_rate


class Translation(_Result):
    source: str
    target: str


class LanguageGuess(_Result):
    language: str = Field(description='ISO 639 code, "und" when undetermined')
    confidence: float
    reliable: bool


class SpeechSegment(_Result):
    """A stretch of speech found by VAD, in seconds."""

    start: float
    end: float
