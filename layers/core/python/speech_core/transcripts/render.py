"""A transcript rendered as one of the job outputs: json, txt, srt (via `srt`) or vtt (via webvtt-py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from .cues import Cue, SubtitleRules, TimedText, group_cues, spread_words
from .models import Transcript, TranscriptFormat

#: media types for the stored outputs (S3 Content-Type)
CONTENT_TYPES: dict[TranscriptFormat, str] = {
    TranscriptFormat.JSON: "application/json",
    TranscriptFormat.TXT: "text/plain; charset=utf-8",
    TranscriptFormat.SRT: "application/x-subrip; charset=utf-8",
    TranscriptFormat.VTT: "text/vtt; charset=utf-8",
}


def transcript_cues(transcript: Transcript, rules: SubtitleRules | None = None) -> list[Cue]:
    """The transcript's subtitle cues: from its words, or (a segment without word times) from its text with
    the segment's span shared out by characters."""
    words: list[TimedText] = []
    for segment in transcript.segments:
        words += segment.words if segment.words else spread_words(segment.text, segment.start, segment.end)
    return group_cues(words, rules)


def _json(transcript: Transcript) -> str:
    body: dict[str, Any] = {
        "language": transcript.language,
        "duration": transcript.duration,
        "complete": transcript.complete,
        "missingChunks": transcript.missing_chunks,
        "text": transcript.text,
        # words (and a word's confidence) only where the model gave them
        "segments": [s.model_dump(mode="json", exclude_none=True) for s in transcript.segments],
    }
    return json.dumps(body, ensure_ascii=False, indent=None, separators=(",", ":"))


def _txt(transcript: Transcript) -> str:
    """One line per segment (a chunk: the speech between two silences)."""
    return "".join(f"{segment.text}\n" for segment in transcript.segments)


def srt_document(cues: Sequence[Cue]) -> str:
    """SubRip: cues numbered from 1, times to the millisecond, lines kept."""
    import srt  # cold start: only an SRT output loads it

    return srt.compose(
        [
            srt.Subtitle(index=i, start=timedelta(seconds=c.start), end=timedelta(seconds=c.end), content=c.text)
            for i, c in enumerate(cues, start=1)
        ],
        reindex=False,
    )


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _vtt_escape(text: str) -> str:
    """WebVTT cue text: &, < and > are markup, so they are written as character references."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_document(cues: Sequence[Cue]) -> str:
    """WebVTT: the header, then each cue's times and lines (markup characters escaped)."""
    import webvtt  # cold start: only a WebVTT output loads it

    document = webvtt.WebVTT(
        captions=[
            webvtt.Caption(start=_vtt_time(c.start), end=_vtt_time(c.end), text=_vtt_escape(c.text)) for c in cues
        ]
    )
    return str(document.content)


def render(transcript: Transcript, fmt: TranscriptFormat | str, rules: SubtitleRules | None = None) -> str:
    """The transcript as `fmt` (UTF-8 text; encode it to store it). `rules` apply to srt and vtt."""
    match TranscriptFormat(fmt):
        case TranscriptFormat.JSON:
            return _json(transcript)
        case TranscriptFormat.TXT:
            return _txt(transcript)
        case TranscriptFormat.SRT:
            return srt_document(transcript_cues(transcript, rules))
        case TranscriptFormat.VTT:
            return vtt_document(transcript_cues(transcript, rules))
