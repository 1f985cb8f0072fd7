"""Chunks cut at silences of real speech: they tile the timeline to the sample, stay within the maximum, and
never split a piece of speech when a silence allows otherwise."""

from __future__ import annotations

import io

import numpy as np
import pytest

from speech_core.batch.audio_stream import AudioStream, BatchAudioLimits
from speech_core.batch.chunking import ChunkPlanner, PlannedChunk, latest_silence_cut, quietest_cut
from tests.unit.batch.fakes import EnergyVad
from tests.unit.batch.long_recording import RATE, build_long_recording

MAX = 30 * RATE


def plan(blocks: list[np.ndarray], max_samples: int = MAX) -> tuple[list[PlannedChunk], EnergyVad]:
    vad = EnergyVad()
    planner = ChunkPlanner(max_samples, vad.spans)
    chunks: list[PlannedChunk] = []
    for block in blocks:
        chunks += planner.feed(block)
    chunks += planner.finish()
    return chunks, vad


def blocks_of(samples: np.ndarray, size: int) -> list[np.ndarray]:
    return [samples[at : at + size] for at in range(0, samples.size, size)]


@pytest.mark.parametrize("block", [777, 16_000, 65_536])
def test_chunks_tile_the_recording_sample_accurately_and_cut_only_in_silences(block: int) -> None:
    # Given a 3-minute recording of real speech with silences at known offsets, fed in blocks of any size
    recording = build_long_recording()
    # When it is planned into chunks of at most 30 s
    chunks, vad = plan(blocks_of(recording.samples, block))
    # Then the chunks tile the timeline: each starts on the sample after the previous one, none is longer than
    # 30 s, and together they are the recording, bit for bit
    assert [c.index for c in chunks] == list(range(len(chunks)))
    position = 0
    for chunk in chunks:
        assert chunk.start_sample == position
        assert 0 < chunk.num_samples <= MAX
        position += chunk.num_samples
    assert position == recording.samples.size
    assert np.array_equal(np.concatenate([c.samples for c in chunks]), recording.samples)
    # and no cut falls inside a piece of speech
    for chunk in chunks[1:]:
        cut = chunk.start_sample
        assert not any(p.start_sample < cut < p.start_sample + p.num_samples for p in recording.pieces), cut
    # and the VAD never saw more than one chunk and one block
    assert vad.max_samples_seen <= MAX + block
    assert len(chunks) >= recording.duration_s / 30


def test_unbroken_speech_is_cut_at_its_quietest_moment_within_the_limit() -> None:
    # Given 70 s of "speech" with no silence, quieter around 27 s
    rng = np.random.default_rng(1)
    samples = (rng.standard_normal(70 * RATE) * 0.3).astype(np.float32)
    samples[27 * RATE : 27 * RATE + 1024] *= 0.01
    # When planned into 30 s chunks
    chunks, _ = plan(blocks_of(samples, 16_000))
    # Then the first cut is in the quiet stretch, and every chunk is within the limit
    assert 27 * RATE <= chunks[1].start_sample <= 27 * RATE + 1024
    assert all(c.num_samples <= MAX for c in chunks)
    assert sum(c.num_samples for c in chunks) == samples.size


def test_silence_cut_rules() -> None:
    # the middle of the latest silence that starts before the limit, capped at the limit
    assert latest_silence_cut([(0, 100), (200, 900)], 1000, 950) == 950  # trailing silence 900..1000 -> capped
    assert latest_silence_cut([(0, 100), (500, 1000)], 1000, 950) == 300
    assert latest_silence_cut([(0, 100), (300, 1000)], 1000, 950) is None  # under a quarter of the limit
    # a sliver at the very start is not a chunk
    assert latest_silence_cut([(40, 1000)], 1000, 950) is None
    quiet = np.ones(4096, dtype=np.float32)
    quiet[3584:] = 0
    assert quietest_cut(quiet, 4096) == 3584 + 256


def test_a_short_recording_is_one_chunk() -> None:
    chunks, vad = plan([np.ones(RATE, dtype=np.float32) * 0.1])
    assert [(c.start_sample, c.num_samples) for c in chunks] == [(0, RATE)]
    assert vad.calls == 0


@pytest.mark.parametrize(
    ("fmt", "subtype", "rate"),
    [("FLAC", None, 44_100), ("OGG", "VORBIS", 22_050), ("MP3", None, 48_000), ("WAV", "PCM_16", 8_000)],
)
def test_any_supported_format_is_streamed_to_the_same_timeline(fmt: str, subtype: str | None, rate: int) -> None:
    # Given the recording encoded in another container and rate
    recording = build_long_recording(repeats=1)
    data = recording.encoded(fmt, subtype, rate)
    # When it is stream-decoded to 16 kHz and planned
    stream = AudioStream(io.BytesIO(data), len(data), BatchAudioLimits())
    chunks, _ = plan(list(stream.blocks()), max_samples=10 * RATE)
    # Then the timeline has the recording's length (within an MP3 frame) and the cuts are still in silences
    total = sum(c.num_samples for c in chunks)
    assert abs(total - recording.samples.size) <= (1152 * RATE) // rate + 1
    for chunk in chunks[1:]:
        cut = chunk.start_sample
        assert not any(p.start_sample + 800 < cut < p.start_sample + p.num_samples - 800 for p in recording.pieces)
