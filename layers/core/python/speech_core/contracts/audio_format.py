"""Audio containers named on the wire (`config.audioFormat`)."""

from __future__ import annotations

from enum import StrEnum


class AudioFormat(StrEnum):
    """Containers (each with one codec) the platform reads and writes: WAV, FLAC, OGG Vorbis, MP3."""

    WAV = "wav"
    FLAC = "flac"
    OGG = "ogg"
    MP3 = "mp3"
