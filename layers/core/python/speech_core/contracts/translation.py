"""Translation request and response (Dhruva `/services/inference/translation`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .items import TextInput
from .limits import MAX_TRANSLATION_BATCH
from .task_configs import TranslationConfig
from .wire_model import ControlConfig, WireModel


class TranslationRequest(WireModel):
    """`{"input": [{"source"}], "config": {"language": {sourceLanguage, targetLanguage}}}`.

    1–MAX_TRANSLATION_BATCH items of at most MAX_TEXT_CHARS characters each.
    """

    input: list[TextInput] = Field(min_length=1, max_length=MAX_TRANSLATION_BATCH)
    config: TranslationConfig
    control_config: ControlConfig = ControlConfig()


class TranslationOutput(WireModel):
    source: str
    target: str


class TranslationResponse(WireModel):
    """`{"output": [{"source", "target"}], "config": ...}`."""

    task_type: Literal["translation"] = "translation"
    output: list[TranslationOutput]
    config: TranslationConfig | None = None
