"""WebSocket `$connect` Lambda authorizer: API key -> Allow with the key's grant, or Deny.

The key comes in a header, in the `speech.v1` subprotocol offer (browsers: `new WebSocket(url, ["speech.v1", key])`)
or as `?key=` (speech_core.keys.key_headers). Nothing here logs the event: its headers and query hold the key.
"""

from __future__ import annotations

from typing import Any

from functions.authorizer.api_key_policy import authorize, connection_key_of
from speech_core.api.snapshot import register_snapshot_hooks
from speech_core.settings import ApiKeySettings, DatabaseSettings, declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(DatabaseSettings, ApiKeySettings)
register_snapshot_hooks(ENVIRONMENT)  # SnapStart: warm before the snapshot, renew after a restore


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway WebSocket REQUEST authorizer event -> IAM policy with the key's context."""
    return authorize(connection_key_of(event.get("headers"), event.get("queryStringParameters")), event["methodArn"])
