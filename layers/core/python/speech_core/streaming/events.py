"""The API Gateway WebSocket event a stream function receives, as much of it as the stream reads."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StreamEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    route_key: str = Field(description="$connect, $disconnect, $default or the message's action")
    connection_id: str
    request_id: str
    body: str | None = None
    received_at: float | None = Field(default=None, description="epoch seconds API Gateway received the message")

    @classmethod
    def from_lambda(cls, event: dict[str, Any]) -> StreamEvent:
        context = event.get("requestContext") or {}
        return cls(
            route_key=context.get("routeKey", "$default"),
            connection_id=context["connectionId"],
            request_id=context.get("requestId", ""),
            body=event.get("body"),
            received_at=context["requestTimeEpoch"] / 1000 if context.get("requestTimeEpoch") else None,
        )

    @property
    def is_connect(self) -> bool:
        return self.route_key == "$connect"

    @property
    def is_disconnect(self) -> bool:
        return self.route_key == "$disconnect"
