"""`transcribe`'s choice between one sync call and a job, and the sync answer in each output format."""

from __future__ import annotations

import json
from pathlib import Path

from .models import AsrResult, TranscriptFormat

#: the sync ASR route's limits (docs/api.md "Limits (sync)": SYNC_MAX_AUDIO_SECONDS, SYNC_MAX_AUDIO_BYTES);
#: longer or larger audio is sent as a job. A unit test holds these equal to the server's settings.
SYNC_MAX_AUDIO_SECONDS = 60.0
SYNC_MAX_AUDIO_BYTES = 7_500_000
#: codes with which the sync route says "use the jobs API" (then `transcribe` falls back to a job)
TOO_BIG_FOR_SYNC = frozenset({"audio.too_long", "audio.too_large", "request.too_large"})

#: the sync route's `transcriptionFormat` for each output format
SYNC_FORMAT = {
    TranscriptFormat.TXT: "transcript",
    TranscriptFormat.JSON: "transcript",
    TranscriptFormat.SRT: "srt",
    TranscriptFormat.VTT: "webvtt",
}


def fits_sync(path: Path, seconds: float) -> bool:
    return seconds <= SYNC_MAX_AUDIO_SECONDS and path.stat().st_size <= SYNC_MAX_AUDIO_BYTES


def render_sync(result: AsrResult, transcript_format: TranscriptFormat, language: str, seconds: float) -> str:
    """The sync answer as the document a job would give in that format (json: the job's shape, without words)."""
    output = result.output[0]
    if transcript_format is not TranscriptFormat.JSON:
        return output.source if output.source.endswith("\n") or not output.source else output.source + "\n"
    segments = [{"start": s.start, "end": s.end, "text": s.text} for s in output.segments or []]
    document = {
        "language": language,
        "duration": round(seconds, 3),
        "complete": True,
        "missingChunks": [],
        "text": output.source,
        "segments": segments,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
