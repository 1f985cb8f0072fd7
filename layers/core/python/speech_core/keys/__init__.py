"""API keys: creation, verification, revocation, rotation (`api_key_service`), key format and hashing
(`key_material`), scopes and limits (`scopes`), the caller a verified key makes (`caller`), per-key rate
windows (`rate_limiter`).

The names below are imported on first access (PEP 562): the authorizers import this package's key checks at
their first call, not at cold start (pydantic and the database code are ~0.3 s of imports, their budget 150 ms).
"""

from typing import TYPE_CHECKING

from speech_core.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from .api_key_service import ApiKeyService, ApiKeyView, CreatedKey, VerifiedKey, get_api_key_service
    from .scopes import KeyLimits, Scope

_EXPORTS: dict[str, tuple[str, ...]] = {
    "api_key_service": ("ApiKeyService", "ApiKeyView", "CreatedKey", "VerifiedKey", "get_api_key_service"),
    "scopes": ("KeyLimits", "Scope"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__getattr__ = lazy_getattr(__name__, _MODULE_OF, globals())

__all__ = ["ApiKeyService", "ApiKeyView", "CreatedKey", "KeyLimits", "Scope", "VerifiedKey", "get_api_key_service"]
