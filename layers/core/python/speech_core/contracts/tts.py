"""TTS request and response (Dhruva `/services/inference/tts`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .items import AudioOutput, TextInput
from .limits import MAX_TTS_ITEMS
from .task_configs import TtsConfig, TtsResponseConfig
from .wire_model import ControlConfig, WireModel


class TtsRequest(WireModel):
    """`{"input": [{"source": text}], "config": {"language", "gender", ...}}`, 1–MAX_TTS_ITEMS items."""

    input: list[TextInput] = Field(min_length=1, max_length=MAX_TTS_ITEMS)
    config: TtsConfig
    control_config: ControlConfig = ControlConfig()


class TtsResponse(WireModel):
    """`{"audio": [{"audioContent"}], "config": {language, audioFormat, samplingRate, encoding}}`."""

    task_type: Literal["tts"] = "tts"
    audio: list[AudioOutput]
    config: TtsResponseConfig
