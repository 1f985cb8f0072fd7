"""Timed words grouped into subtitle cues that obey line rules. The sync ASR path and the job renderers share it.

Rules (`SubtitleRules`): at most `max_chars_per_line` characters on a line and `lines_per_cue` lines in a cue;
a cue also ends at a pause longer than `max_pause_seconds` and before it would last longer than
`max_cue_seconds`. Words are wrapped greedily onto lines. A word longer than a line gets a line of its own,
and only then is it split hard into line-sized pieces (its time shared out by characters), so no line is
ever over the limit; nothing is dropped. A single word lasting longer than `max_cue_seconds` is a cue alone
(the duration bound yields to keeping the word whole in time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from .models import TimedWord


class SubtitleRules(BaseModel):
    """What every cue obeys. Defaults: the broadcast convention of two 42-character lines, at most 7 s."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    max_chars_per_line: int = Field(default=42, ge=1, le=200)
    lines_per_cue: int = Field(default=2, ge=1, le=10)
    max_cue_seconds: float = Field(default=7.0, gt=0, le=60)
    #: a silence longer than this starts a new cue
    max_pause_seconds: float = Field(default=0.8, ge=0, le=60)


class TimedText(Protocol):
    """A word with its span: `inference.WordSegment`, `transcripts.TimedWord` and the like."""

    @property
    def word(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


class Cue(BaseModel):
    """One subtitle: its span and its lines (each within the rules)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    start: float = Field(ge=0)
    end: float = Field(ge=0)
    lines: tuple[str, ...]
    #: mean confidence of its words, where they carried one
    confidence: float | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    start: float
    end: float
    confidence: float | None
    #: a piece of a word longer than a line: it shares its line with nothing
    alone: bool = False


@dataclass(frozen=True, slots=True)
class _Untimed:
    word: str
    start: float = 0.0
    end: float = 0.0


def _pieces(words: Iterable[TimedText], max_chars: int) -> list[_Piece]:
    """Words as line-sized pieces with monotonic times; whitespace inside a word splits it."""
    pieces: list[_Piece] = []
    floor = 0.0
    for word in words:
        confidence = getattr(word, "confidence", None)
        start = max(float(word.start), floor)
        end = max(float(word.end), start)
        floor = end
        tokens = word.word.split()
        total = sum(len(t) for t in tokens) or 1
        at = 0
        for token in tokens:
            # the token's share of the word's time, by characters (one token: the whole span)
            t_start = start + (end - start) * at / total
            at += len(token)
            t_end = start + (end - start) * at / total
            if len(token) <= max_chars:
                pieces.append(_Piece(token, round(t_start, 3), round(t_end, 3), confidence))
                continue
            for i in range(0, len(token), max_chars):
                part = token[i : i + max_chars]
                p_start = t_start + (t_end - t_start) * i / len(token)
                p_end = t_start + (t_end - t_start) * min(i + max_chars, len(token)) / len(token)
                pieces.append(_Piece(part, round(p_start, 3), round(p_end, 3), confidence, alone=True))
    return pieces


def _joins(line: list[_Piece], piece: _Piece, max_chars: int) -> bool:
    """Whether `piece` goes on `line` after a space (never beside a piece of an over-long word)."""
    width = sum(len(p.text) for p in line) + len(line) + len(piece.text)
    return not piece.alone and not line[-1].alone and width <= max_chars


def group_cues(words: Iterable[TimedText], rules: SubtitleRules | None = None) -> list[Cue]:
    """Consecutive words as cues within `rules` (see the module docstring); times as given, never overlapping."""
    rules = rules or SubtitleRules()
    cues: list[Cue] = []
    lines: list[list[_Piece]] = []

    def flush() -> None:
        if lines:
            first, last = lines[0][0], lines[-1][-1]
            known = [p.confidence for line in lines for p in line if p.confidence is not None]
            cues.append(
                Cue(
                    start=first.start,
                    end=last.end,
                    lines=tuple(" ".join(p.text for p in line) for line in lines),
                    confidence=round(min(max(sum(known) / len(known), 0.0), 1.0), 4) if known else None,
                )
            )
            lines.clear()

    for piece in _pieces(words, rules.max_chars_per_line):
        if lines:
            cue_start, last = lines[0][0], lines[-1][-1]
            too_long = piece.end - cue_start.start > rules.max_cue_seconds
            paused = piece.start - last.end > rules.max_pause_seconds
            if too_long or paused:
                flush()
        if lines:
            if _joins(lines[-1], piece, rules.max_chars_per_line):
                lines[-1].append(piece)
                continue
            if len(lines) >= rules.lines_per_cue:
                flush()
        lines.append([piece])
    flush()
    return cues


def wrap_text(text: str, rules: SubtitleRules | None = None) -> list[str]:
    """`text` wrapped onto lines of at most `rules.max_chars_per_line` characters (no line limit), as
    `group_cues` wraps: greedy, a longer word alone on its line and split only if it must be."""
    rules = rules or SubtitleRules()
    lines: list[list[_Piece]] = []
    for piece in _pieces([_Untimed(text)], rules.max_chars_per_line):
        if lines and _joins(lines[-1], piece, rules.max_chars_per_line):
            lines[-1].append(piece)
        else:
            lines.append([piece])
    return [" ".join(p.text for p in line) for line in lines]


def spread_words(text: str, start: float, end: float) -> list[TimedWord]:
    """Words of a text the model gave no word times for, the span shared out by characters (approximate)."""
    tokens = text.split()
    total = sum(len(t) for t in tokens) or 1
    words: list[TimedWord] = []
    at = 0
    for token in tokens:
        w_start = start + (end - start) * at / total
        at += len(token)
        w_end = max(round(start + (end - start) * at / total, 3), round(w_start, 3))
        words.append(TimedWord(word=token, start=round(w_start, 3), end=w_end))
    return words
