"""The streaming sentence splitter: the sync TTS's sentences, whatever pieces the text arrives in."""

from __future__ import annotations

import pytest

from speech_core.services.tts import split_sentences
from speech_core.streaming.tts_sentences import split_complete

TEXTS = [
    "Hello there. How are you? I am fine! Thanks.",
    "One sentence without an end",
    "Line one\nLine two\n\nLine three.",
    "नमस्ते। आप कैसे हैं॥ ठीक है।",
    "Dr. Smith went home. Pi is 3.14 today.",
    "  leading space. trailing space.  ",
    "word " * 150 + ". After the long one.",
]


def streamed(text: str, piece: int, max_chars: int = 500) -> list[str]:
    """Sentences from `text` sent in pieces of `piece` characters, flushed at the end."""
    sentences: list[str] = []
    buffer = ""
    for start in range(0, len(text), piece):
        buffer += text[start : start + piece]
        split = split_complete(buffer, flush=False, max_chars=max_chars)
        sentences += split.sentences
        buffer = split.rest
    return sentences + split_complete(buffer, flush=True, max_chars=max_chars).sentences


@pytest.mark.parametrize("text", TEXTS)
def test_text_in_one_flushed_piece_gives_the_sync_sentences(text: str) -> None:
    assert split_complete(text, flush=True).sentences == split_sentences(text, 500)
    assert split_complete(text, flush=True).rest == ""


@pytest.mark.parametrize("text", TEXTS[:6])
@pytest.mark.parametrize("piece", [1, 3, 7, 50])
def test_text_in_pieces_gives_the_same_sentences(text: str, piece: int) -> None:
    assert streamed(text, piece) == split_sentences(text, 500)


def test_an_unfinished_sentence_waits_for_more_text() -> None:
    split = split_complete("First one. Second is still", flush=False)
    assert split.sentences == ["First one."]
    assert split.rest.strip() == "Second is still"
    # a full stop at the very end may still be part of a number or an abbreviation: it waits too
    assert split_complete("It costs 3.", flush=False).sentences == []


def test_a_long_unfinished_sentence_is_cut_at_words_before_it_grows_further() -> None:
    split = split_complete("word " * 30, flush=False, max_chars=40)
    assert split.sentences and all(len(s) <= 40 for s in split.sentences)
    assert " ".join(split.sentences + [split.rest]).split() == ["word"] * 30
