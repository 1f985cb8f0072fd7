"""Who is calling: the tenant, key, scopes and limits the Lambda authorizer put in the request context."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from speech_core.errors import AuthError, ErrorCode
from speech_core.keys import KeyLimits, Scope


class Caller(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    tenant_name: str
    key_id: uuid.UUID
    key_prefix: str
    scopes: frozenset[str]
    limits: KeyLimits

    def require_scope(self, scope: Scope) -> None:
        if scope.value not in self.scopes:
            raise AuthError(
                ErrorCode.AUTH_INSUFFICIENT_SCOPE,
                f"this API key does not have the '{scope.value}' scope",
                details={"required": scope.value, "granted": sorted(self.scopes)},
            )


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
