"""What a key may do (scopes, one per task) and how much (limits)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Scope(StrEnum):
    ASR = "asr"
    TTS = "tts"
    TRANSLATION = "translation"
    TRANSLITERATION = "transliteration"
    LANGUAGE_ID = "language_id"
    PIPELINE = "pipeline"
    JOBS = "jobs"
    STREAMING = "streaming"

    @classmethod
    def parse_list(cls, text: str) -> list[Scope]:
        """`"all"` or a comma list such as `"asr,translation"`; unknown names raise ValueError."""
        names = [part.strip() for part in text.split(",") if part.strip()]
        if names == ["all"]:
            return list(cls)
        known = [scope.value for scope in cls]
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(f"unknown scope {', '.join(unknown)}; scopes are: all, {', '.join(known)}")
        return [cls(name) for name in names]


class KeyLimits(BaseModel):
    """Per-key request limits; defaults are the documented platform defaults."""

    model_config = ConfigDict(frozen=True)

    per_minute: int = Field(default=60, gt=0, le=1_000_000)
    per_hour: int = Field(default=1000, gt=0, le=10_000_000)
    per_day: int = Field(default=10_000, gt=0, le=100_000_000)
