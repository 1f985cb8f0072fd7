"""ASR request and response (Dhruva `/services/inference/asr`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .items import AudioInput, Segment
from .limits import MAX_AUDIO_ITEMS
from .task_configs import AsrConfig
from .wire_model import ControlConfig, WireModel


class AsrRequest(WireModel):
    """`{"audio": [{audioContent|audioUri}], "config": {...}, "controlConfig": {...}}`.

    1–MAX_AUDIO_ITEMS audio items.
    """

    audio: list[AudioInput] = Field(min_length=1, max_length=MAX_AUDIO_ITEMS)
    config: AsrConfig
    control_config: ControlConfig = ControlConfig()


class NBestToken(WireModel):
    """One recognised word and its alternatives with their scores (`bestTokenCount` > 0)."""

    word: str
    tokens: list[dict[str, float]]


class AsrOutput(WireModel):
    """One transcript. `source` holds it in the requested `transcriptionFormat` (plain, SRT or WebVTT)."""

    source: str
    n_best_tokens: list[NBestToken] | None = None
    segments: list[Segment] | None = None
    detected_language: str | None = None


class AsrResponse(WireModel):
    task_type: Literal["asr"] = "asr"
    output: list[AsrOutput]
    config: AsrConfig | None = None
