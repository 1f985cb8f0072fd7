"""Sentences out of text that arrives in pieces (streaming TTS).

The rule is the sync TTS's (`speech_core.services.tts.split_sentences`), so a text streamed in one piece is
spoken as the same sentences as `POST /v1/tts` speaks it: a sentence ends after `.`, `!`, `?`, `।` or `॥`
followed by white space, or at a line break; one longer than the model's limit is cut at a word boundary.
Streamed text adds one case: the text so far may end inside a sentence, so the piece after the last boundary
waits for more text, unless the client says the text so far is complete (`flush`, `stop`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: a sentence boundary: after ., !, ?, the danda (।) or double danda (॥) and white space, or line breaks
_SENTENCE_END = re.compile(r"(?<=[.!?।॥])\s+|\n+")
#: the longest sentence sent to the model at once (the sync TTS's cap)
MAX_SENTENCE_CHARS = 500


@dataclass(frozen=True)
class SplitText:
    #: complete sentences, in order, each at most `max_chars` long
    sentences: list[str]
    #: text after the last boundary (empty after a flush): it waits for the next piece
    rest: str


def cut_long(sentence: str, max_chars: int) -> list[str]:
    """A sentence longer than `max_chars` cut at word boundaries (at `max_chars` when it has no space)."""
    pieces: list[str] = []
    sentence = sentence.strip()
    while len(sentence) > max_chars:
        cut = sentence.rfind(" ", 0, max_chars)
        cut = cut if cut > 0 else max_chars
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        pieces.append(sentence)
    return pieces


def split_complete(text: str, *, flush: bool, max_chars: int = MAX_SENTENCE_CHARS) -> SplitText:
    """The complete sentences of `text` and what remains; with `flush` everything is complete.

    Without `flush` the remainder keeps its leading white space, so the next piece joins it exactly as one
    text would have been split. A remainder longer than `max_chars` is cut now (it can only get longer).
    """
    boundaries = list(_SENTENCE_END.finditer(text))
    if flush:
        complete, rest = text, ""
    elif boundaries:
        last = boundaries[-1]
        complete, rest = text[: last.start()], text[last.start() :]
    else:
        complete, rest = "", text
    sentences = [piece for part in _SENTENCE_END.split(complete) for piece in cut_long(part, max_chars)]
    if len(rest.strip()) > max_chars:
        head = cut_long(rest, max_chars)
        sentences += head[:-1]
        rest = head[-1]
    return SplitText(sentences=sentences, rest=rest)
