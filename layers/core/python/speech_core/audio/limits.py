"""Audio input limits, chosen by the caller (a sync API allows less than a batch job)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

# 8 kHz is telephone audio, below it speech is not worth transcribing; 192 kHz is the top studio rate.
# The same numbers bound `config.samplingRate`, so they are defined once, with the request limits.
from speech_core.contracts.limits import MAX_SAMPLE_RATE, MIN_SAMPLE_RATE

#: more channels than any recording setup a speech client uses; bounds the decode buffer
MAX_CHANNELS = 32


class AudioLimits(BaseModel):
    """What one decode call accepts. Checked before any sample is decoded.

    - `max_bytes`: size of the encoded input (after base64 decoding).
    - `max_seconds`: duration as declared by the container header.
    - `min_sample_rate` / `max_sample_rate`: accepted input rates, inclusive.
    - `max_channels`: more is refused as an unsupported format.
    """

    model_config = ConfigDict(frozen=True)

    max_bytes: int = Field(gt=0)
    max_seconds: float = Field(gt=0)
    min_sample_rate: int = Field(default=MIN_SAMPLE_RATE, gt=0)
    max_sample_rate: int = Field(default=MAX_SAMPLE_RATE, gt=0)
    max_channels: int = Field(default=MAX_CHANNELS, gt=0)

    @model_validator(mode="after")
    def _rates_ordered(self) -> AudioLimits:
        if self.min_sample_rate > self.max_sample_rate:
            raise ValueError("min_sample_rate must not exceed max_sample_rate")
        return self
