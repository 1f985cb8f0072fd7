"""The containers the platform reads and writes, recognised by their leading bytes.

The client's `audioFormat` is only a hint: the bytes decide, so a mislabelled upload still decodes and an
unknown one is refused before libsndfile sees it.
"""

from __future__ import annotations

from speech_core.contracts.audio_format import AudioFormat
from speech_core.errors import AudioError, ErrorCode

#: the wire enum (`config.audioFormat`) is the container enum: one list of what the platform reads/writes
AudioContainer = AudioFormat


def _is_mpeg_frame_sync(head: bytes) -> bool:
    # 11 set sync bits, a valid MPEG version (not 01) and layer (not 00): the start of an MPEG audio frame.
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    return version != 0b01 and layer != 0b00


def sniff_container(data: bytes) -> AudioContainer:
    """Name the container from its magic bytes, or raise AUDIO_UNSUPPORTED_FORMAT."""
    if len(data) >= 12 and data[:4] in (b"RIFF", b"RIFX") and data[8:12] == b"WAVE":
        return AudioContainer.WAV
    if data[:4] == b"fLaC":
        return AudioContainer.FLAC
    if data[:4] == b"OggS":
        return AudioContainer.OGG
    if data[:3] == b"ID3" or _is_mpeg_frame_sync(data[:2]):
        return AudioContainer.MP3
    raise AudioError(
        ErrorCode.AUDIO_UNSUPPORTED_FORMAT,
        "Audio is not WAV, FLAC, OGG or MP3 (unrecognised leading bytes).",
        details={"supported": [c.value for c in AudioContainer]},
    )
