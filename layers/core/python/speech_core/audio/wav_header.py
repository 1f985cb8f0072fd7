"""Read a WAV file's RIFF header ourselves, without decoding.

libsndfile quietly clamps a WAV whose `data` chunk claims more bytes than the file holds, so a header
announcing 3 h of audio followed by nothing looks like an empty file, and a truncated upload looks whole.
Reading the declared size here lets the decoder refuse the first as too long and the second as corrupt
before any sample is decoded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from speech_core.errors import AudioError, ErrorCode

# Format tags whose frame count is simply bytes / block_align: PCM, IEEE float, A-law, µ-law, extensible.
_FIXED_FRAME_FORMATS = {0x0001, 0x0003, 0x0006, 0x0007, 0xFFFE}
# Streaming writers that cannot seek back put one of these in the size field: "length unknown".
_UNKNOWN_SIZES = {0, 0xFFFFFFFF}


@dataclass(frozen=True, slots=True)
class WavHeader:
    """What the RIFF header declares. `declared_frames` is None when the header cannot say."""

    format_tag: int
    channels: int
    sample_rate: int
    block_align: int
    declared_data_bytes: int | None
    available_data_bytes: int

    @property
    def declared_frames(self) -> int | None:
        if self.declared_data_bytes is None or self.format_tag not in _FIXED_FRAME_FORMATS:
            return None
        return self.declared_data_bytes // self.block_align

    @property
    def is_truncated(self) -> bool:
        """The data chunk claims more bytes than the file holds."""
        return self.declared_data_bytes is not None and self.declared_data_bytes > self.available_data_bytes


def _corrupt(reason: str) -> AudioError:
    return AudioError(ErrorCode.AUDIO_CORRUPT, f"WAV header is malformed: {reason}.")


def read_wav_header(data: bytes) -> WavHeader:
    """Parse the RIFF chunks up to `data`. Raises AUDIO_CORRUPT when the header is malformed."""
    endian = "<" if data[:4] == b"RIFF" else ">"  # RIFX is the big-endian variant
    offset = 12
    fmt: tuple[int, int, int, int] | None = None
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack(endian + "I", data[offset + 4 : offset + 8])
        body = offset + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(data):
                raise _corrupt("fmt chunk too short")
            format_tag, channels, sample_rate, _, block_align = struct.unpack(endian + "HHIIH", data[body : body + 14])
            if channels == 0 or block_align == 0:
                raise _corrupt("zero channels or block alignment")
            fmt = (format_tag, channels, sample_rate, block_align)
        elif chunk_id == b"data":
            if fmt is None:
                raise _corrupt("data chunk before fmt chunk")
            available = len(data) - body
            declared: int | None = size
            if size in _UNKNOWN_SIZES and available > 0:
                declared = None
            return WavHeader(*fmt, declared_data_bytes=declared, available_data_bytes=available)
        # chunks are padded to an even length
        offset = body + size + (size & 1)
    raise _corrupt("no data chunk" if fmt else "no fmt chunk")
