"""What the stream function reads beyond the database, registry and Triton settings."""

from __future__ import annotations

from speech_core.environment_settings import EnvironmentSettings
from speech_core.environment_settings import setting as Field  # noqa: N812 - reads like pydantic's Field


class StreamingSettings(EnvironmentSettings):
    """Where the @connections management API of the WebSocket stage is (written by CDK)."""

    websocket_callback_url: str = Field(description="https://<api>.execute-api.<region>.amazonaws.com/<stage>")
