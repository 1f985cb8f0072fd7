"""Split a stream of 16 kHz mono samples into chunks at silences, with sample-accurate offsets.

The planner holds at most one chunk's worth of audio plus the block being fed (never the whole file). Each time
it holds more than `max_samples`, it asks the voice-activity detector where speech is in what it holds and cuts
at the latest silence that keeps the chunk within `max_samples` (the middle of the silence, so each side keeps
some padding). With no silence there (a long unbroken stretch of speech), it cuts at the quietest 32 ms
window of the chunk's last quarter, so a word is split as rarely as possible. Chunks tile the timeline: the
next chunk starts on the sample after the previous one ends, so offsets never drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

#: speech spans found in the given samples, as (start, end) sample indices relative to them
SpeechFinder = Callable[[np.ndarray], list[tuple[int, int]]]

_QUIET_WINDOW = 512  # 32 ms at 16 kHz: the VAD model's own window


@dataclass(frozen=True, slots=True)
class PlannedChunk:
    """One chunk: its position on the job's 16 kHz timeline and its samples."""

    index: int
    start_sample: int
    samples: np.ndarray

    @property
    def num_samples(self) -> int:
        return int(self.samples.size)


class ChunkPlanner:
    """Feed blocks in order with `feed`, then `finish`; both yield the chunks that became final."""

    def __init__(self, max_samples: int, find_speech: SpeechFinder) -> None:
        if max_samples < 4 * _QUIET_WINDOW:
            raise ValueError("max_samples is too small to cut at silences")
        self.max_samples = max_samples
        self._find_speech = find_speech
        self._blocks: list[np.ndarray] = []
        self._held = 0
        self._start = 0
        self._index = 0

    @property
    def samples_seen(self) -> int:
        """Samples fed so far (the position on the timeline of the next one)."""
        return self._start + self._held

    def feed(self, block: np.ndarray) -> Iterator[PlannedChunk]:
        """Take the next samples of the stream; yield the chunks that are now decided."""
        samples = np.asarray(block, dtype=np.float32).reshape(-1)
        if samples.size:
            self._blocks.append(samples)
            self._held += samples.size
        while self._held > self.max_samples:
            yield self._cut(self._cut_point())

    def finish(self) -> Iterator[PlannedChunk]:
        """The stream ended: yield what is left (one chunk, or none when nothing is held)."""
        while self._held > self.max_samples:
            yield self._cut(self._cut_point())
        if self._held:
            yield self._cut(self._held)

    def _cut_point(self) -> int:
        held = np.concatenate(self._blocks) if len(self._blocks) > 1 else self._blocks[0]
        self._blocks = [held]
        speech = sorted(self._find_speech(held))
        cut = latest_silence_cut(speech, held.size, self.max_samples)
        return cut if cut is not None else quietest_cut(held, self.max_samples)

    def _cut(self, at: int) -> PlannedChunk:
        held = np.concatenate(self._blocks) if len(self._blocks) > 1 else self._blocks[0]
        chunk = PlannedChunk(self._index, self._start, np.ascontiguousarray(held[:at]))
        rest = held[at:]
        self._blocks = [rest] if rest.size else []
        self._held = int(rest.size)
        self._start += at
        self._index += 1
        return chunk


def latest_silence_cut(speech: list[tuple[int, int]], held: int, max_samples: int) -> int | None:
    """The middle of the latest silence that starts before `max_samples`, capped at `max_samples`; None when
    no silence allows a chunk of at least a quarter of `max_samples` (speech throughout, or silence only at the
    very start: a sliver of a chunk is not worth a model call)."""
    silences: list[tuple[int, int]] = []
    previous_end = 0
    for start, end in speech:
        if start >= previous_end:
            silences.append((previous_end, start))
        previous_end = max(previous_end, end)
    silences.append((previous_end, held))
    for start, end in reversed(silences):
        if start >= max_samples:
            continue
        cut = min((start + end) // 2, max_samples)
        return cut if cut >= max_samples // 4 else None
    return None


def quietest_cut(held: np.ndarray, max_samples: int) -> int:
    """The start of the quietest 32 ms window in the last quarter before `max_samples` (or `max_samples`)."""
    window = _QUIET_WINDOW
    first = (max_samples * 3 // 4) // window
    last = max_samples // window
    if last <= first:
        return max_samples
    frames = held[first * window : last * window].reshape(-1, window)
    energy = np.square(frames, dtype=np.float64).sum(axis=1)
    quietest = int(np.argmin(energy[::-1]))  # the latest of equally quiet windows
    return (first + energy.size - 1 - quietest) * window + window // 2
