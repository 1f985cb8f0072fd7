"""The caller of a request: what the Lambda authorizer put in the API Gateway request context."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from speech_core.errors import AuthError, ErrorCode
from speech_core.keys.caller import Caller
from speech_core.keys.scopes import KeyLimits


def caller_from_event(event: dict[str, Any]) -> Caller:
    """Read the authorizer context (API Gateway passes its values as strings).

    A route behind the authorizer always has it; its absence means a misconfigured route, which must fail
    closed (401), never run unauthenticated.
    """
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    try:
        return Caller(
            tenant_id=context["tenantId"],
            tenant_name=context.get("tenantName", ""),
            key_id=context["keyId"],
            key_prefix=context.get("keyPrefix", ""),
            scopes=frozenset(s for s in str(context.get("scopes", "")).split(",") if s),
            limits=KeyLimits(
                per_minute=int(context["limitPerMinute"]),
                per_hour=int(context["limitPerHour"]),
                per_day=int(context["limitPerDay"]),
            ),
        )
    except (KeyError, ValueError, ValidationError) as error:
        raise AuthError(ErrorCode.AUTH_MISSING_KEY, "the request carries no verified API key") from error
