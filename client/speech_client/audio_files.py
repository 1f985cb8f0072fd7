"""Reading audio files on the client: their duration (to choose sync or a job) and 16 kHz PCM16 for streaming."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .errors import ExitCode, SpeechError

STREAM_SAMPLE_RATE = 16_000
#: 250 ms of 16 kHz PCM16: 8 000 bytes, about 10.7 KB as base64 (docs/streaming.md)
FRAME_BYTES = 8_000


class AudioFileError(SpeechError):
    """The file is not audio this client can read (WAV, FLAC, OGG, MP3; or raw 16 kHz PCM16 as .raw/.pcm)."""

    exit_code = ExitCode.INVALID_REQUEST


def _is_raw(path: Path) -> bool:
    return path.suffix.lower() in (".raw", ".pcm")


def duration_s(path: str | Path) -> float:
    """Seconds of audio in the file, read from its header (raw files: 16 kHz mono PCM16 assumed)."""
    path = Path(path)
    if _is_raw(path):
        return path.stat().st_size / (2 * STREAM_SAMPLE_RATE)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError) as error:
        raise AudioFileError(f"{path}: not a readable audio file ({error})") from error
    if not info.samplerate:
        raise AudioFileError(f"{path}: no sample rate in the header")
    return float(info.frames) / float(info.samplerate)


def pcm16_frames(path: str | Path, frame_bytes: int = FRAME_BYTES) -> Iterator[bytes]:
    """The file as 16 kHz mono PCM16 little-endian, `frame_bytes` at a time (the last one may be shorter)."""
    path = Path(path)
    if _is_raw(path):
        data = path.read_bytes()
    else:
        try:
            samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, OSError) as error:
            raise AudioFileError(f"{path}: not a readable audio file ({error})") from error
        mono = samples.mean(axis=1)
        if rate != STREAM_SAMPLE_RATE:
            mono = soxr.resample(mono, rate, STREAM_SAMPLE_RATE)
        data = (np.clip(mono, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    for start in range(0, len(data), frame_bytes):
        yield data[start : start + frame_bytes]
