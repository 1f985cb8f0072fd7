"""Properties of the subtitle outputs: every cue obeys the line rules, cues never overlap and run forward,
nothing is lost, and srt/vtt parse back (with `srt` and webvtt-py) to the same text and times."""

from __future__ import annotations

import html
from datetime import timedelta

import srt
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from speech_core.transcripts import (
    ChunkResult,
    Cue,
    SubtitleRules,
    TimedWord,
    Transcript,
    group_cues,
    merge_chunks,
    render,
    transcript_cues,
    wrap_text,
)

SR = 16_000
#: Latin, Devanagari, digits and the characters that are markup in SRT/WebVTT
ALPHABET = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789.,?!'&<>-") + list("नमस्तेभारत"))
WORD = st.text(ALPHABET, min_size=1, max_size=30)

rules_strategy = st.builds(
    SubtitleRules,
    max_chars_per_line=st.integers(1, 60),
    lines_per_cue=st.integers(1, 4),
    max_cue_seconds=st.floats(0.5, 10),
    max_pause_seconds=st.floats(0, 2),
)


@st.composite
def chunk_lists(draw: st.DrawFn) -> list[ChunkResult]:
    chunks = []
    position = 0
    for index in range(draw(st.integers(0, 5))):
        position += draw(st.integers(0, 3 * SR))  # silence between chunks (or none)
        num_samples = draw(st.integers(1, 30 * SR))
        words = None
        if draw(st.booleans()) or index == 0:
            words = []
            t = 0.0
            for text in draw(st.lists(WORD, max_size=25)):
                t += draw(st.floats(0, 2.0))
                length = draw(st.floats(0, 1.5))
                # model times can spill past the chunk or overlap; merge clamps them
                words.append(TimedWord(word=text, start=round(t, 3), end=round(t + length, 3)))
                t += length * draw(st.floats(0.5, 1.0))
        text = " ".join(w.word for w in words) if words else " ".join(draw(st.lists(WORD, max_size=10)))
        chunks.append(
            ChunkResult(index=index, start_sample=position, num_samples=num_samples, transcript=text, words=words)
        )
        position += num_samples
    return chunks


def assert_cues_obey(cues: list[Cue], rules: SubtitleRules) -> None:
    previous_end = 0.0
    for n, cue in enumerate(cues):
        assert 1 <= len(cue.lines) <= rules.lines_per_cue, (n, cue)
        for line in cue.lines:
            assert 0 < len(line) <= rules.max_chars_per_line, (n, line)
            assert line == line.strip() and "  " not in line
        assert previous_end <= cue.start <= cue.end, (n, previous_end, cue)
        if cue.end - cue.start > rules.max_cue_seconds + 1e-6:
            # only a single word (or one piece of it) that itself lasts longer than a cue may
            assert len(cue.lines) == 1 and " " not in cue.lines[0], (n, cue)
        previous_end = cue.end


def _vtt_time(seconds: float) -> str:
    hours, rest = divmod(round(seconds * 1000), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _tokens_joined(texts: list[str]) -> str:
    return "".join("".join(t.split()) for t in texts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=chunk_lists(), rules=rules_strategy)
def test_every_cue_obeys_the_rules_and_srt_vtt_parse_back(chunks: list[ChunkResult], rules: SubtitleRules):
    transcript = merge_chunks(chunks)
    # the merged timeline runs forward: words and segments in order, never overlapping
    words = transcript.words
    assert all(a.end <= b.start for a, b in zip(words, words[1:], strict=False))
    assert all(w.start <= w.end for w in words)
    segments = transcript.segments
    assert all(a.end <= b.start and b.start <= b.end for a, b in zip(segments, segments[1:], strict=False))
    cues = transcript_cues(transcript, rules)
    assert_cues_obey(cues, rules)
    # nothing lost or invented: the cues carry every character of the transcript, in order
    assert _tokens_joined([c.text for c in cues]) == _tokens_joined([s.text for s in transcript.segments])

    parsed_srt = list(srt.parse(render(transcript, "srt", rules)))
    assert [s.content for s in parsed_srt] == [c.text for c in cues]
    assert [(s.start, s.end) for s in parsed_srt] == [
        (timedelta(milliseconds=round(c.start * 1000)), timedelta(milliseconds=round(c.end * 1000))) for c in cues
    ]

    parsed_vtt = list(webvtt.from_string(render(transcript, "vtt", rules)))
    assert [html.unescape(c.text) for c in parsed_vtt] == [c.text for c in cues]
    assert [(c.start, c.end) for c in parsed_vtt] == [(_vtt_time(c.start), _vtt_time(c.end)) for c in cues]


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.tuples(WORD, st.floats(0, 3), st.floats(0, 3)), max_size=60),
    rules=rules_strategy,
)
def test_grouping_splits_at_pauses_and_keeps_words_whole_when_they_fit(words, rules: SubtitleRules):
    timed = []
    t = 0.0
    for text, gap, length in words:
        t += gap
        timed.append(TimedWord(word=text, start=round(t, 3), end=round(t + length, 3)))
        t += length
    cues = group_cues(timed, rules)
    assert_cues_obey(cues, rules)
    if all(len(w.word) <= rules.max_chars_per_line for w in timed):
        assert " ".join(" ".join(c.lines) for c in cues).split() == [w.word for w in timed]
    # no cue spans a pause longer than the rule
    for a, b in zip(timed, timed[1:], strict=False):
        if b.start - a.end > rules.max_pause_seconds:
            assert not any(c.start <= a.start and b.end <= c.end for c in cues), (a, b)


def test_a_word_longer_than_a_line_gets_its_own_lines_split_hard():
    rules = SubtitleRules(max_chars_per_line=5, lines_per_cue=2)
    cues = group_cues(
        [TimedWord(word="ab", start=0, end=0.2), TimedWord(word="abcdefghijkl", start=0.2, end=1.4)], rules
    )
    assert [c.lines for c in cues] == [("ab", "abcde"), ("fghij", "kl")]


def test_wrap_text_matches_the_line_rule():
    assert wrap_text("the quick brown fox jumps over the lazy dog", SubtitleRules(max_chars_per_line=10)) == [
        "the quick",
        "brown fox",
        "jumps over",
        "the lazy",
        "dog",
    ]


def test_default_rules_are_two_lines_of_42():
    words = [TimedWord(word="word", start=i * 0.1, end=i * 0.1 + 0.09) for i in range(40)]
    cues = transcript_cues(
        Transcript(
            duration=4.0,
            segments=merge_chunks([ChunkResult(index=0, start_sample=0, num_samples=64_000, words=words)]).segments,
        )
    )
    assert all(len(c.lines) <= 2 and all(len(line) <= 42 for line in c.lines) for c in cues)
    # eight 4-letter words and their spaces are 39 characters; a ninth would make 44
    assert cues[0].lines == ("word " * 7 + "word", "word " * 7 + "word")
