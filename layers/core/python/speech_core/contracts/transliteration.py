"""Transliteration request and response (Dhruva `/services/inference/transliteration`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .items import TextInput
from .limits import MAX_TRANSLITERATION_ITEMS
from .task_configs import TransliterationConfig
from .wire_model import ControlConfig, WireModel


class TransliterationRequest(WireModel):
    """`{"input": [{"source"}], "config": {"language": pair, "isSentence", "numSuggestions"}}`."""

    input: list[TextInput] = Field(min_length=1, max_length=MAX_TRANSLITERATION_ITEMS)
    config: TransliterationConfig
    control_config: ControlConfig = ControlConfig()


class TransliterationOutput(WireModel):
    """One input and its renderings in the target script (one for a sentence, several for a word)."""

    source: str
    target: list[str]


class TransliterationResponse(WireModel):
    task_type: Literal["transliteration"] = "transliteration"
    output: list[TransliterationOutput]
    config: TransliterationConfig | None = None
