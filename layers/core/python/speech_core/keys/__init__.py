"""API keys: creation, verification, revocation, rotation (`api_key_service`), key format and hashing
(`key_material`), scopes and limits (`scopes`), the caller a verified key makes (`caller`), per-key rate
windows (`rate_limiter`)."""

from speech_core.keys.api_key_service import (
    ApiKeyService,
    ApiKeyView,
    CreatedKey,
    VerifiedKey,
    get_api_key_service,
)
from speech_core.keys.scopes import KeyLimits, Scope

__all__ = ["ApiKeyService", "ApiKeyView", "CreatedKey", "KeyLimits", "Scope", "VerifiedKey", "get_api_key_service"]
