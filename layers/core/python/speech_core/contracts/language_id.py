"""Text language detection request and response (Bhashini task `txt-lang-detection`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .items import TextInput
from .limits import MAX_LANGUAGE_ID_ITEMS
from .task_configs import LanguageIdConfig
from .wire_model import ControlConfig, WireModel


class LanguageIdRequest(WireModel):
    """`{"input": [{"source"}], "config": {}}`, 1–MAX_LANGUAGE_ID_ITEMS items."""

    input: list[TextInput] = Field(min_length=1, max_length=MAX_LANGUAGE_ID_ITEMS)
    config: LanguageIdConfig = LanguageIdConfig()
    control_config: ControlConfig = ControlConfig()


class LanguagePrediction(WireModel):
    """One candidate language, best first; `langScore` in [0, 1]."""

    lang_code: str
    script_code: str | None = None
    lang_score: float = Field(ge=0, le=1)


class LanguageIdOutput(WireModel):
    source: str
    lang_prediction: list[LanguagePrediction]


class LanguageIdResponse(WireModel):
    task_type: Literal["txt-lang-detection"] = "txt-lang-detection"
    output: list[LanguageIdOutput]
    config: LanguageIdConfig | None = None
