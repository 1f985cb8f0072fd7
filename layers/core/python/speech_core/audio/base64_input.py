"""Turn a ULCA `audioContent` string into bytes."""

from __future__ import annotations

import base64
import binascii
import re

from speech_core.errors import AudioError, ErrorCode

_DATA_URI_PREFIX = re.compile(r"^data:[\w/+.-]*(;[\w=.-]+)*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def decode_base64_audio(content: str, *, max_bytes: int | None = None) -> bytes:
    """Decode standard base64 (line breaks, a `data:...;base64,` prefix and missing padding tolerated).

    Raises AUDIO_EMPTY for an empty string, AUDIO_INVALID_BASE64 for anything else than base64, and
    AUDIO_TOO_LARGE when the decoded size would exceed `max_bytes` (checked before decoding).
    """
    text = _WHITESPACE.sub("", _DATA_URI_PREFIX.sub("", content.strip(), count=1))
    if not text:
        raise AudioError(ErrorCode.AUDIO_EMPTY, "audioContent is empty.")
    if max_bytes is not None and len(text) * 3 // 4 > max_bytes + 2:
        raise AudioError(
            ErrorCode.AUDIO_TOO_LARGE,
            f"audioContent decodes to about {len(text) * 3 // 4} bytes; at most {max_bytes} are accepted.",
            details={"maxBytes": max_bytes},
        )
    if len(text) % 4 == 1:
        raise AudioError(ErrorCode.AUDIO_INVALID_BASE64, "audioContent is not valid base64 (bad length).")
    text += "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AudioError(ErrorCode.AUDIO_INVALID_BASE64, f"audioContent is not valid base64: {exc}.") from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise AudioError(
            ErrorCode.AUDIO_TOO_LARGE,
            f"audioContent decodes to {len(data)} bytes; at most {max_bytes} are accepted.",
            details={"bytes": len(data), "maxBytes": max_bytes},
        )
    return data
