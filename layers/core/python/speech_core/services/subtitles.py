"""Timed text: words grouped into readable cues, and cues rendered as SRT (srt) or WebVTT (webvtt-py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from speech_core.contracts import Segment

if TYPE_CHECKING:  # types only: the inference results module loads numpy
    from speech_core.inference import WordSegment

#: subtitle conventions: at most ~7 s and two 42-character lines per cue; a pause this long starts a new cue
MAX_CUE_SECONDS = 7.0
MAX_CUE_CHARS = 84
MAX_PAUSE_SECONDS = 0.8


def group_words(words: Sequence[WordSegment], offset_s: float = 0.0) -> list[Segment]:
    """Consecutive words as cues, split at long pauses and at the length limits; times shifted by offset."""
    cues: list[Segment] = []
    current: list[WordSegment] = []

    def flush() -> None:
        if current:
            text = " ".join(word.word for word in current)
            confidence = sum(word.confidence for word in current) / len(current)
            cues.append(
                Segment(
                    start=round(current[0].start + offset_s, 3),
                    end=round(current[-1].end + offset_s, 3),
                    text=text,
                    confidence=round(min(max(confidence, 0.0), 1.0), 4),
                )
            )
            current.clear()

    for word in words:
        if current:
            too_long = word.end - current[0].start > MAX_CUE_SECONDS
            too_wide = len(" ".join(w.word for w in current)) + 1 + len(word.word) > MAX_CUE_CHARS
            paused = word.start - current[-1].end > MAX_PAUSE_SECONDS
            if too_long or too_wide or paused:
                flush()
        current.append(word)
    flush()
    return cues


def to_srt(segments: Sequence[Segment]) -> str:
    import srt  # cold start: only an SRT answer loads it

    return srt.compose(
        [
            srt.Subtitle(index=i, start=timedelta(seconds=s.start), end=timedelta(seconds=s.end), content=s.text)
            for i, s in enumerate(segments, start=1)
        ]
    )


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def to_webvtt(segments: Sequence[Segment]) -> str:
    import webvtt  # cold start: only a WebVTT answer loads it

    document = webvtt.WebVTT(
        captions=[webvtt.Caption(start=_vtt_time(s.start), end=_vtt_time(s.end), text=s.text) for s in segments]
    )
    return document.content
