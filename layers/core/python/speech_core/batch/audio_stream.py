"""Stream-decode a long recording (WAV, FLAC, OGG, MP3) into 16 kHz mono blocks, never holding the whole file.

libsndfile reads the container block by block from any seekable binary source (a local file, or ranged reads
of an S3 object); each block is downmixed and fed through one soxr stream resampler, whose output is
delay-compensated and identical to resampling the whole signal at once, so sample n of the output is at n/16000
s of the recording. Cheap checks come first, from the header: size, container, rate, channels, declared
length; a truncated WAV, undecodable frames or non-finite samples end as AUDIO_CORRUPT.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import soundfile as sf
import soxr
from pydantic import BaseModel, ConfigDict, Field

from speech_core.audio.audio_info import AudioInfo
from speech_core.audio.decode import check_header
from speech_core.audio.formats import AudioContainer, sniff_container
from speech_core.audio.limits import AudioLimits
from speech_core.audio.probe import corrupt_error
from speech_core.audio.wav_header import read_wav_header
from speech_core.errors import AudioError, ErrorCode

BATCH_SAMPLE_RATE = 16_000
#: how much of the file the container and WAV header checks read
_HEAD_BYTES = 64 * 1024
# Containers whose header frame count is exact, so fewer decoded frames means a truncated file.
_EXACT_LENGTH = {AudioContainer.WAV, AudioContainer.FLAC}


class BatchAudioLimits(BaseModel):
    """What one batch job accepts (docs/jobs.md): 4 h and 2 GB by default, like the best batch services."""

    model_config = ConfigDict(frozen=True)

    max_bytes: int = Field(default=2 * 1024**3, gt=0)
    max_seconds: float = Field(default=4 * 3600.0, gt=0)

    def audio_limits(self) -> AudioLimits:
        return AudioLimits(max_bytes=self.max_bytes, max_seconds=self.max_seconds)


def check_object_size(size: int, limits: BatchAudioLimits) -> None:
    """AUDIO_EMPTY or AUDIO_TOO_LARGE from the object's size alone."""
    if size <= 0:
        raise AudioError(ErrorCode.AUDIO_EMPTY, "Audio is empty (0 bytes).")
    if size > limits.max_bytes:
        raise AudioError(
            ErrorCode.AUDIO_TOO_LARGE,
            f"Audio is {size} bytes; a batch job takes at most {limits.max_bytes} bytes.",
            details={"bytes": size, "maxBytes": limits.max_bytes},
        )


class AudioStream:
    """An opened recording: header facts now, 16 kHz mono blocks from `blocks()`."""

    def __init__(self, source: BinaryIO, size: int, limits: BatchAudioLimits, block_frames: int = 65_536) -> None:
        check_object_size(size, limits)
        self._limits = limits
        self._block_frames = block_frames
        head = source.read(_HEAD_BYTES)
        source.seek(0)
        self.container = sniff_container(head)
        declared_frames = self._wav_frames(head, size) if self.container is AudioContainer.WAV else None
        try:
            self._sound = sf.SoundFile(source)
        except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
            raise corrupt_error(self.container, exc) from exc
        frames = declared_frames if declared_frames is not None else max(int(self._sound.frames), 0)
        self.info = AudioInfo(self.container, int(self._sound.samplerate), int(self._sound.channels), frames)
        check_header(self.info, limits.audio_limits())

    def _wav_frames(self, head: bytes, size: int) -> int | None:
        header = read_wav_header(head)
        data_offset = len(head) - header.available_data_bytes
        if header.declared_data_bytes is not None and header.declared_data_bytes > size - data_offset:
            raise AudioError(
                ErrorCode.AUDIO_CORRUPT,
                "The WAV audio is truncated: its header declares more data than the file holds.",
                details={"declaredBytes": header.declared_data_bytes, "availableBytes": size - data_offset},
            )
        return header.declared_frames

    @property
    def duration_s(self) -> float:
        """The declared length (exact for WAV and FLAC, an estimate for MP3 and OGG)."""
        return self.info.duration_s

    def blocks(self) -> Iterator[np.ndarray]:
        """16 kHz mono float32 blocks, in order; their concatenation is the whole recording."""
        rate = self.info.sample_rate
        resampler = (
            soxr.ResampleStream(rate, BATCH_SAMPLE_RATE, 1, dtype="float32") if rate != BATCH_SAMPLE_RATE else None
        )
        max_frames = int(self._limits.max_seconds * rate)
        decoded = 0
        try:
            for block in self._sound.blocks(blocksize=self._block_frames, dtype="float32", always_2d=True):
                decoded += block.shape[0]
                if decoded > max_frames:  # MP3/OGG headers only estimate the length
                    check_header(
                        AudioInfo(self.container, rate, self.info.channels, decoded), self._limits.audio_limits()
                    )
                if not np.isfinite(block).all():
                    raise corrupt_error(self.container, ValueError("samples contain NaN or infinity"))
                mono = block[:, 0] if block.shape[1] == 1 else block.mean(axis=1, dtype=np.float32)
                out = mono if resampler is None else resampler.resample_chunk(mono)
                if out.size:
                    yield np.ascontiguousarray(out, dtype=np.float32)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise corrupt_error(self.container, exc) from exc
        finally:
            self._sound.close()
        if decoded == 0:
            raise AudioError(ErrorCode.AUDIO_NO_SAMPLES, "Audio holds no decodable samples.")
        if self.container in _EXACT_LENGTH and decoded < self.info.frames:
            raise corrupt_error(self.container, ValueError(f"decoded {decoded} of {self.info.frames} frames"))
        if resampler is not None:
            tail = resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
            if tail.size:
                yield np.ascontiguousarray(tail, dtype=np.float32)
