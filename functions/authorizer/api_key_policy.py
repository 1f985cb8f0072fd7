"""What both authorizers share: finding the API key in a request and turning a verdict into an IAM policy.

Not a handler: `handle_authorize_request` and `handle_authorize_connection` import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from speech_core.errors import AuthError, ErrorCode
from speech_core.keys.key_headers import QUERY_KEY_NAMES, api_key_of, connection_key_of

if TYPE_CHECKING:
    from speech_core.keys import VerifiedKey

__all__ = [
    "QUERY_KEY_NAMES",
    "Unauthorized",
    "api_key_of",
    "authorize",
    "connection_key_of",
    "context_of",
    "policy",
    "stage_wide_resource",
]


class Unauthorized(Exception):  # noqa: N818 - API Gateway reads the message "Unauthorized" (401)
    def __init__(self) -> None:
        super().__init__("Unauthorized")


def stage_wide_resource(method_arn: str) -> str:
    """`arn:...:api-id/stage/*`: the policy covers every route of the stage.

    API Gateway caches the policy per key and applies it to later requests on *any* route; a policy naming
    only the first method ARN would then deny the key's other routes. Scopes are checked per route by the
    handlers, from the context.
    """
    prefix, _, _ = method_arn.partition("/")
    stage = method_arn.split("/")[1] if method_arn.count("/") >= 1 else "*"
    return f"{prefix}/{stage}/*"


def policy(principal_id: str, effect: str, method_arn: str, context: dict[str, Any]) -> dict[str, Any]:
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": stage_wide_resource(method_arn)}
            ],
        },
        "context": context,
    }


def context_of(key: VerifiedKey) -> dict[str, Any]:
    """The authorizer context (string/number/boolean values only, as API Gateway requires)."""
    context: dict[str, Any] = {
        "tenantId": str(key.tenant_id),
        "tenantName": key.tenant_name,
        "keyId": str(key.key_id),
        "keyPrefix": key.prefix,
        "scopes": ",".join(key.scopes),
        "limitPerMinute": key.limits.per_minute,
        "limitPerHour": key.limits.per_hour,
        "limitPerDay": key.limits.per_day,
    }
    if key.expires_at is not None:
        context["expiresAt"] = key.expires_at.isoformat()
    return context


def authorize(plaintext: str | None, method_arn: str) -> dict[str, Any]:
    """Allow with the key's grant, Deny (403) for an invalid/revoked/expired key, Unauthorized (401) for none."""
    if not plaintext:
        raise Unauthorized()
    # cold start: the key service (pydantic, SQLAlchemy, psycopg) loads at the first check, or before a snapshot
    from speech_core.keys import get_api_key_service

    try:
        verified = get_api_key_service().verify(plaintext)
    except AuthError as error:
        if error.code is ErrorCode.AUTH_MISSING_KEY:
            raise Unauthorized() from error
        return policy("anonymous", "Deny", method_arn, {"errorCode": error.code.value, "errorMessage": error.message})
    return policy(str(verified.key_id), "Allow", method_arn, context_of(verified))
