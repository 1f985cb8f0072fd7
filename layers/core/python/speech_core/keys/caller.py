"""Who is calling: the tenant, key, scopes and limits a verified API key grants to one request."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict

from speech_core.errors import AuthError, ErrorCode
from speech_core.keys.scopes import KeyLimits, Scope


class Caller(BaseModel):
    """What the authorizer verified, as a route and the services see it (`api.caller` reads it from a request)."""

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
