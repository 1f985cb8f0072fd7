"""The shape of an API key and how it is hashed.

A key looks like `spk_<id>_<secret>`: `spk_<id>` is the display prefix (stored, shown in listings and logs,
used to find the row), `<secret>` is 240 bits from `secrets`. Only HMAC-SHA256(pepper, key) is stored.
A fast keyed hash is right here (unlike for passwords): keys are long and random, so there is nothing to
brute-force, and the authorizer verifies on every uncached request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

KEY_PREFIX = "spk"
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_ID_LENGTH = 12
KEY_PATTERN = re.compile(rf"^({KEY_PREFIX}_[a-z0-9]{{{_ID_LENGTH}}})_([A-Za-z0-9_-]{{40}})$")


def new_key() -> tuple[str, str]:
    """A fresh (plaintext key, display prefix)."""
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
    prefix = f"{KEY_PREFIX}_{key_id}"
    return f"{prefix}_{secrets.token_urlsafe(30)}", prefix


def display_prefix(plaintext: str) -> str | None:
    """The prefix of a well-formed key, or None when the text cannot be one of our keys."""
    match = KEY_PATTERN.match(plaintext)
    return match.group(1) if match else None


def hash_key(plaintext: str, pepper: bytes) -> bytes:
    return hmac.new(pepper, plaintext.encode(), hashlib.sha256).digest()


def hashes_match(stored: bytes, candidate: bytes) -> bool:
    """Constant-time comparison, so response timing reveals nothing about the stored hash."""
    return hmac.compare_digest(stored, candidate)
