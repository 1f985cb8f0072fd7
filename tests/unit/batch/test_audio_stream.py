"""Streaming decode of long recordings: bounded memory whatever the length, and clear codes for bad input."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from speech_core.batch.audio_stream import AudioStream, BatchAudioLimits
from speech_core.batch.chunking import ChunkPlanner
from speech_core.errors import AudioError, ErrorCode
from tests.unit.batch.fakes import EnergyVad
from tests.unit.batch.long_recording import RATE, build_long_recording


def write_flac(path: Path, minutes: int) -> None:
    """`minutes` of the long recording, repeated, as 44.1 kHz FLAC, written a block at a time."""
    import soxr

    recording = build_long_recording(repeats=1)
    piece = soxr.resample(recording.samples, RATE, 44_100).astype(np.float32)
    with sf.SoundFile(path, "w", 44_100, 1, format="FLAC") as out:
        written = 0
        while written < minutes * 60 * 44_100:
            out.write(piece)
            written += piece.size


def peak_bytes_of_prepare(path: Path) -> tuple[int, int]:
    """Peak traced memory while the file is decoded and planned into chunks, and the samples it held."""
    tracemalloc.start()
    try:
        with path.open("rb") as source:
            stream = AudioStream(source, path.stat().st_size, BatchAudioLimits())
            planner = ChunkPlanner(30 * RATE, EnergyVad().spans)
            for block in stream.blocks():
                for _ in planner.feed(block):
                    pass
            for _ in planner.finish():
                pass
        return tracemalloc.get_traced_memory()[1], planner.samples_seen
    finally:
        tracemalloc.stop()


def test_memory_stays_bounded_whatever_the_length(tmp_path: Path) -> None:
    # Given a 4-minute and a 16-minute recording (44.1 kHz FLAC: decoded and resampled on the way)
    short, long = tmp_path / "short.flac", tmp_path / "long.flac"
    write_flac(short, 4)
    write_flac(long, 16)
    # When each is streamed through decode and chunking
    short_peak, short_samples = peak_bytes_of_prepare(short)
    long_peak, long_samples = peak_bytes_of_prepare(long)
    # Then four times the audio does not take more memory: the peak is about one chunk and a few blocks
    assert long_samples > 3.9 * short_samples
    decoded_long = long_samples * 4
    assert long_peak < 24 * 1024 * 1024, long_peak
    assert long_peak < decoded_long / 8
    assert long_peak < short_peak * 1.5 + 1024 * 1024


def open_stream(data: bytes, limits: BatchAudioLimits | None = None) -> list[np.ndarray]:
    stream = AudioStream(io.BytesIO(data), len(data), limits or BatchAudioLimits())
    return list(stream.blocks())


def wav(seconds: float, rate: int = RATE) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(int(seconds * rate), dtype=np.float32), rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", ErrorCode.AUDIO_EMPTY),
        (b"this is not audio at all" * 10, ErrorCode.AUDIO_UNSUPPORTED_FORMAT),
        (wav(2.0)[:-20_000], ErrorCode.AUDIO_CORRUPT),  # truncated: the header declares more than is there
        (b"fLaC" + bytes(range(256)) * 8, ErrorCode.AUDIO_CORRUPT),
    ],
    ids=["empty", "not-audio", "truncated-wav", "garbage-flac"],
)
def test_bad_input_fails_with_a_clear_code(data: bytes, code: ErrorCode) -> None:
    with pytest.raises(AudioError) as caught:
        open_stream(data)
    assert caught.value.code is code


def test_over_the_limits_fails_before_decoding() -> None:
    data = wav(3.0)
    with pytest.raises(AudioError) as too_long:
        open_stream(data, BatchAudioLimits(max_seconds=2.0))
    assert too_long.value.code is ErrorCode.AUDIO_TOO_LONG
    with pytest.raises(AudioError) as too_large:
        open_stream(data, BatchAudioLimits(max_bytes=1000))
    assert too_large.value.code is ErrorCode.AUDIO_TOO_LARGE


def test_stereo_44k_is_downmixed_and_resampled_to_16k_mono() -> None:
    tone = np.sin(2 * np.pi * 440 * np.arange(44_100 * 2) / 44_100).astype(np.float32) * 0.5
    buffer = io.BytesIO()
    sf.write(buffer, np.stack([tone, tone], axis=1), 44_100, format="FLAC")
    blocks = open_stream(buffer.getvalue())
    signal = np.concatenate(blocks)
    assert signal.ndim == 1 and abs(signal.size - 2 * RATE) <= 1
    assert abs(float(np.abs(signal[RATE // 2 : RATE]).max()) - 0.5) < 0.01
