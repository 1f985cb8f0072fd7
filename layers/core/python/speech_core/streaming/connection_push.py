"""Answers go back through API Gateway's @connections management API (POST one message per call)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from speech_core.observability import logger, tracer


class ApiGatewayConnectionPush:
    """`post_to_connection` on the stage's callback URL; a connection that is gone (410) ends the sending."""

    def __init__(self, callback_url: str) -> None:
        self._callback_url = callback_url

    @cached_property
    def _client(self) -> Any:
        import boto3  # cold start: boto3 loads with the first answer, not at import

        return boto3.client("apigatewaymanagementapi", endpoint_url=self._callback_url)

    @tracer.capture_method(capture_response=False)
    def send(self, connection_id: str, messages: Sequence[str]) -> bool:
        """True when every message was posted; False when the connection is gone (410)."""
        client = self._client
        for message in messages:
            try:
                client.post_to_connection(ConnectionId=connection_id, Data=message.encode("utf-8"))
            except client.exceptions.GoneException:
                logger.info("connection gone before its answer", extra={"connection_id": connection_id})
                return False
        return True
