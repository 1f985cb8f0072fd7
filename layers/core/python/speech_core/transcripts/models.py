"""The transcript of a job: chunk results in, one transcript on the job's global timeline out."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: the job timeline's sample rate (prepare resamples everything to it)
JOB_SAMPLE_RATE = 16_000


class TranscriptFormat(StrEnum):
    """The outputs a job can ask for."""

    JSON = "json"
    TXT = "txt"
    SRT = "srt"
    VTT = "vtt"


class TimedWord(BaseModel):
    """A recognised word and its span in seconds (relative to its chunk in a `ChunkResult`, global in a
    `Transcript`)."""

    model_config = ConfigDict(frozen=True, defer_build=True, from_attributes=True)

    word: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    confidence: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> TimedWord:
        if self.end < self.start:
            raise ValueError(f"word ends ({self.end}) before it starts ({self.start})")
        return self


class ChunkResult(BaseModel):
    """One transcribed chunk: where it sits on the job's timeline (in samples) and what was heard in it.

    Field names match the `job_chunks` row, so `ChunkResult.model_validate(row, from_attributes=True)` works.
    """

    model_config = ConfigDict(frozen=True, defer_build=True, from_attributes=True)

    index: int = Field(ge=0)
    start_sample: int = Field(ge=0)
    num_samples: int = Field(ge=0)
    transcript: str | None = None
    #: word times in seconds relative to the chunk's first sample; None when the model gives no word times
    words: list[TimedWord] | None = None
    sample_rate: int = Field(default=JOB_SAMPLE_RATE, gt=0)


class TranscriptSegment(BaseModel):
    """A stretch of the transcript (one chunk) on the global timeline, with its words where the model gave them."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str
    words: list[TimedWord] | None = None


class Transcript(BaseModel):
    """A job's transcript, whole or (while the job runs, or after a failure) partial."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    language: str | None = None
    #: seconds of audio the transcript covers: the job's whole duration when known
    duration: float = Field(ge=0)
    segments: list[TranscriptSegment]
    #: chunk indices below `chunks_total` (or below the highest one seen) with no result yet
    missing_chunks: list[int] = Field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing_chunks

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments if segment.text)

    @property
    def words(self) -> list[TimedWord]:
        return [word for segment in self.segments for word in segment.words or ()]
