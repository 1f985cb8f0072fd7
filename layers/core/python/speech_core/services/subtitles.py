"""Timed text for the sync ASR path: words grouped into cues, rendered as SRT or WebVTT.

The grouping and the renderers are the job transcripts' own (`speech_core.transcripts`), so a sync answer and
a job's subtitles follow the same line rules: two 42-character lines and at most 7 s per cue, a new cue after
a 0.8 s pause.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from speech_core.contracts import Segment
from speech_core.transcripts import Cue, SubtitleRules, group_cues, srt_document, vtt_document, wrap_text

if TYPE_CHECKING:  # types only: the inference results module loads numpy
    from speech_core.inference import WordSegment

#: the sync path's cue rules (a sync call has no subtitle options)
SYNC_SUBTITLE_RULES = SubtitleRules()


def group_words(words: Sequence[WordSegment], offset_s: float = 0.0) -> list[Segment]:
    """Consecutive words as cues (see `transcripts.group_cues`), a cue's lines joined by spaces; times shifted
    by offset."""
    return [
        Segment(
            start=round(cue.start + offset_s, 3),
            end=round(cue.end + offset_s, 3),
            text=" ".join(cue.lines),
            confidence=cue.confidence,
        )
        for cue in group_cues(words, SYNC_SUBTITLE_RULES)
    ]


def _cues(segments: Sequence[Segment]) -> list[Cue]:
    return [Cue(start=s.start, end=s.end, lines=tuple(wrap_text(s.text, SYNC_SUBTITLE_RULES))) for s in segments]


def to_srt(segments: Sequence[Segment]) -> str:
    return srt_document(_cues(segments))


def to_webvtt(segments: Sequence[Segment]) -> str:
    return vtt_document(_cues(segments))
