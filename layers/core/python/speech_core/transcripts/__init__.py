"""Job transcripts: chunk results merged onto the global timeline, and rendered as json, txt, srt or vtt.

    transcript = merge_chunks(chunk_results, language="en", chunks_total=n, total_samples=total)
    render(transcript, "srt", SubtitleRules(max_chars_per_line=42, lines_per_cue=2))

Pure code with no I/O: the workflow's assemble step and the jobs API's transcript route both call it. srt and
webvtt-py load only when those formats are rendered.
"""

from __future__ import annotations

from .cues import Cue, SubtitleRules, TimedText, group_cues, spread_words, wrap_text
from .merge import merge_chunks
from .models import JOB_SAMPLE_RATE, ChunkResult, TimedWord, Transcript, TranscriptFormat, TranscriptSegment
from .render import CONTENT_TYPES, render, srt_document, transcript_cues, vtt_document

__all__ = [
    "CONTENT_TYPES",
    "JOB_SAMPLE_RATE",
    "ChunkResult",
    "Cue",
    "SubtitleRules",
    "TimedText",
    "TimedWord",
    "Transcript",
    "TranscriptFormat",
    "TranscriptSegment",
    "group_cues",
    "merge_chunks",
    "render",
    "spread_words",
    "srt_document",
    "transcript_cues",
    "vtt_document",
    "wrap_text",
]
