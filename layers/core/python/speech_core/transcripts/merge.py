"""Chunk results merged in index order onto the job's global timeline.

Offsets come from each chunk's `start_sample` (an exact integer on the 16 kHz timeline), never from summing
chunk durations, so the error at the end of a 4-hour file is the same as at its start: one rounding to the
millisecond. Missing chunks (a running job, a failed one) leave a gap and are listed, never invented.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import JOB_SAMPLE_RATE, ChunkResult, TimedWord, Transcript, TranscriptSegment


def _seconds(samples: int, sample_rate: int) -> float:
    return round(samples / sample_rate, 3)


def _clean(text: str) -> str:
    """One line of single-spaced text: the renderers rely on words carrying no whitespace of their own."""
    return " ".join(text.split())


def merge_chunks(
    chunks: Iterable[ChunkResult],
    *,
    language: str | None = None,
    chunks_total: int | None = None,
    total_samples: int | None = None,
    sample_rate: int = JOB_SAMPLE_RATE,
) -> Transcript:
    """The transcript of the chunks given, in index order, each word shifted by its chunk's sample offset.

    Pass only chunks that have a result (`done`); any index below `chunks_total` (or, unknown, below the
    highest index given) that is absent is listed in `missing_chunks`. A repeated index keeps its first result.
    Word times are clamped into their chunk and made monotonic (a word never starts before the previous one
    ends), so cues built from them never overlap. `total_samples` gives the duration; without it the end of
    the last chunk does.
    """
    by_index: dict[int, ChunkResult] = {}
    for chunk in chunks:
        by_index.setdefault(chunk.index, chunk)
    ordered = [by_index[i] for i in sorted(by_index)]

    segments: list[TranscriptSegment] = []
    previous_end = 0.0
    for chunk in ordered:
        offset = chunk.start_sample / chunk.sample_rate  # exact to float precision; rounded once per word below
        chunk_start = _seconds(chunk.start_sample, chunk.sample_rate)
        chunk_end = _seconds(chunk.start_sample + chunk.num_samples, chunk.sample_rate)
        floor = max(chunk_start, previous_end)
        words: list[TimedWord] | None = None
        if chunk.words is not None:
            words = []
            for word in chunk.words:
                text = _clean(word.word)
                if not text:
                    continue
                start = min(max(round(offset + word.start, 3), floor), max(chunk_end, floor))
                end = min(max(round(offset + word.end, 3), start), max(chunk_end, start))
                words.append(TimedWord(word=text, start=start, end=end, confidence=word.confidence))
                floor = end
        text = _clean(chunk.transcript or "") or " ".join(w.word for w in words or ())
        if words:
            start, end = words[0].start, words[-1].end
        else:
            start, end = max(chunk_start, previous_end), max(chunk_end, previous_end)
        if not text:
            continue
        segments.append(TranscriptSegment(start=start, end=end, text=text, words=words))
        previous_end = end

    highest = ordered[-1].index + 1 if ordered else 0
    expected = chunks_total if chunks_total is not None else highest
    missing = [i for i in range(expected) if i not in by_index]
    if total_samples is not None:
        duration = _seconds(total_samples, sample_rate)
    else:
        duration = max((_seconds(c.start_sample + c.num_samples, c.sample_rate) for c in ordered), default=0.0)
    return Transcript(language=language, duration=duration, segments=segments, missing_chunks=missing)
