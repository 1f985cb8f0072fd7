"""merge_chunks: chunk results onto the job's global timeline, sample-accurate, in order, gaps listed."""

from __future__ import annotations

import json

import pytest

from speech_core.transcripts import ChunkResult, TimedWord, merge_chunks, render

SR = 16_000


def _chunk(index: int, start_s: float, seconds: float, words: list[tuple[str, float, float]] | None) -> ChunkResult:
    return ChunkResult(
        index=index,
        start_sample=round(start_s * SR),
        num_samples=round(seconds * SR),
        transcript=" ".join(w for w, _, _ in words) if words else None,
        words=[TimedWord(word=w, start=s, end=e, confidence=0.9) for w, s, e in words] if words is not None else None,
    )


def test_words_move_by_their_chunks_sample_offset_in_index_order():
    # Given chunks handed over out of order
    chunks = [_chunk(1, 12.5, 8.0, [("world", 0.25, 0.75)]), _chunk(0, 0.0, 12.5, [("hello", 0.1, 0.5)])]
    # When merged
    transcript = merge_chunks(chunks, language="en", total_samples=round(20.5 * SR))
    # Then they follow index order, each word shifted by start_sample / 16000
    assert [s.text for s in transcript.segments] == ["hello", "world"]
    assert [(w.word, w.start, w.end) for w in transcript.words] == [("hello", 0.1, 0.5), ("world", 12.75, 13.25)]
    assert transcript.duration == 20.5
    assert transcript.complete
    assert transcript.text == "hello world"


def test_no_drift_at_the_end_of_a_four_hour_file():
    # Given 1440 chunks of 10 s minus one sample each (durations whose float sum drifts), at exact sample offsets
    num = 10 * SR - 1
    chunks = [
        ChunkResult(
            index=i,
            start_sample=i * num,
            num_samples=num,
            transcript="w",
            words=[TimedWord(word="w", start=0.0, end=0.1)],
        )
        for i in range(1440)
    ]
    transcript = merge_chunks(chunks)
    # Then the last word starts exactly at its chunk's sample offset (to the millisecond)
    last = transcript.words[-1]
    assert last.start == round(1439 * num / SR, 3)
    assert transcript.duration == round(1440 * num / SR, 3)


def test_missing_chunks_are_listed_and_left_out_of_a_partial_transcript():
    chunks = [_chunk(0, 0.0, 5.0, [("one", 0.0, 0.4)]), _chunk(2, 10.0, 5.0, [("three", 0.0, 0.4)])]
    transcript = merge_chunks(chunks, chunks_total=4)
    assert transcript.missing_chunks == [1, 3]
    assert not transcript.complete
    assert transcript.text == "one three"
    document = json.loads(render(transcript, "json"))
    assert document["complete"] is False and document["missingChunks"] == [1, 3]


def test_nothing_done_yet_is_an_empty_partial_transcript():
    transcript = merge_chunks([], chunks_total=3)
    assert transcript.segments == [] and transcript.missing_chunks == [0, 1, 2]
    assert render(transcript, "srt") == "" and render(transcript, "txt") == ""
    assert render(transcript, "vtt").startswith("WEBVTT")


def test_words_are_clamped_into_their_chunk_and_made_monotonic():
    # Given a model that reports a word past its chunk's end and words that overlap
    chunks = [
        _chunk(0, 0.0, 2.0, [("a", 0.0, 1.0), ("b", 0.8, 1.5), ("c", 1.9, 2.6)]),
        _chunk(1, 2.0, 2.0, [("d", 0.0, 0.5)]),
    ]
    words = merge_chunks(chunks).words
    assert [(w.start, w.end) for w in words] == [(0.0, 1.0), (1.0, 1.5), (1.9, 2.0), (2.0, 2.5)]


def test_a_chunk_without_word_times_keeps_its_text_and_span():
    chunk = ChunkResult(index=0, start_sample=3 * SR, num_samples=2 * SR, transcript="  no   word times ")
    transcript = merge_chunks([chunk])
    assert transcript.segments[0].model_dump() == {"start": 3.0, "end": 5.0, "text": "no word times", "words": None}
    # and its subtitles share the span out over the words
    assert "00:00:03,000 --> 00:00:05,000" in render(transcript, "srt")


def test_json_output_shape():
    transcript = merge_chunks([_chunk(0, 1.0, 3.0, [("hi", 0.5, 0.9)])], language="hi", total_samples=4 * SR)
    document = json.loads(render(transcript, "json"))
    assert document == {
        "language": "hi",
        "duration": 4.0,
        "complete": True,
        "missingChunks": [],
        "text": "hi",
        "segments": [
            {
                "start": 1.5,
                "end": 1.9,
                "text": "hi",
                "words": [{"word": "hi", "start": 1.5, "end": 1.9, "confidence": 0.9}],
            }
        ],
    }


def test_a_job_chunk_row_converts_directly():
    from speech_core.db.records import ChunkWord

    class Row:  # the attributes a job_chunks record carries
        index, start_sample, num_samples, transcript = 2, 32_000, 16_000, "ok"
        words = [ChunkWord(word="ok", start=0.1, end=0.3, confidence=None)]

    chunk = ChunkResult.model_validate(Row(), from_attributes=True)
    assert merge_chunks([chunk]).words[0].start == 2.1


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        render(merge_chunks([]), "docx")
