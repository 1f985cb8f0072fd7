"""REST API Lambda authorizer (REQUEST type): API key -> Allow with tenant, scopes and limits, or Deny."""

from __future__ import annotations

from typing import Any

from functions.authorizer.api_key_policy import api_key_of, authorize
from speech_core.api.snapshot import register_snapshot_hooks
from speech_core.settings import ApiKeySettings, DatabaseSettings, declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(DatabaseSettings, ApiKeySettings)
register_snapshot_hooks(ENVIRONMENT)  # SnapStart: warm before the snapshot, renew after a restore


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway REQUEST (or TOKEN) authorizer event -> IAM policy with the key's context."""
    if event.get("type") == "TOKEN":
        key = api_key_of({"authorization": event.get("authorizationToken") or ""})
    else:
        key = api_key_of(event.get("headers"))
    return authorize(key, event["methodArn"])
