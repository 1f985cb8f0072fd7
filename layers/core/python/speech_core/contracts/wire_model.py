"""The base of every ULCA model: camelCase on the wire, snake_case in Python, unknown fields ignored."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from .limits import MAX_SERVICE_ID_CHARS


class WireModel(BaseModel):
    """ULCA JSON shape. Extra fields that Dhruva/Bhashini clients send are accepted and dropped."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict a client receives: camelCase keys, unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ControlConfig(WireModel):
    """`controlConfig`: whether the platform may keep this call's inputs and outputs (in S3).

    As in Dhruva and Bhashini, kept unless the caller sends `dataTracking: false`.
    """

    data_tracking: bool = True


class TaskConfigBase(WireModel):
    """Fields every task config may carry. `serviceId` picks a model explicitly; empty means "choose"."""

    service_id: str | None = Field(default=None, max_length=MAX_SERVICE_ID_CHARS)

    @field_validator("service_id", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value
