"""ITN on ASR output (`postProcessors: ["itn"]`) and text normalization before TTS, through the handlers with
fake models (the real grammars: tests/integration/triton/test_text_normalization_models.py, and end to end:
tests/e2e/test_text_normalization.py)."""

from __future__ import annotations

import pytest

from functions.asr.handle_transcribe_audio import handler as asr_handler
from functions.tts.handle_synthesize_speech import handler as tts_handler
from speech_core.contracts import PostProcessor
from speech_core.inference import ModelSelection, Transcript, WordSegment, load_packaged_registry, parse_registry
from speech_core.services.text_normalization import skipped_post_processors
from tests.unit.api.conftest import call, rest_event, wav_base64
from tests.unit.api.fakes import FakeInference, fake_deps

EN = {"sourceLanguage": "en"}


class CountingInference(FakeInference):
    """ASR 'hears' number words: word i of the audio is the name of digit i % 10 ("zero one two ...")."""

    def transcribe(self, selection: ModelSelection, audio, language: str) -> Transcript:
        heard = super().transcribe(selection, audio, language)
        names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        words = [
            WordSegment(word=names[i % 10], start=w.start, end=w.end, confidence=w.confidence)
            for i, w in enumerate(heard.segments)
        ]
        return heard.model_copy(update={"text": " ".join(w.word for w in words), "segments": words})


@pytest.fixture
def counting(monkeypatch):
    from speech_core.api import call_context

    deps = fake_deps(inference=CountingInference())
    monkeypatch.setattr(call_context, "deps_provider", lambda: deps)
    return deps


def asr_event(post_processors: list[str] | None = None, form: str = "transcript"):
    config: dict[str, object] = {"language": EN, "transcriptionFormat": {"value": form}}
    if post_processors is not None:
        config["postProcessors"] = post_processors
    return rest_event("POST", "/v1/asr", {"audio": [{"audioContent": wav_base64(3.2)}], "config": config})


def test_itn_writes_the_heard_numbers_as_digits_and_only_punctuation_is_skipped(counting):
    # Given ASR that hears "zero one two", When the client asks for itn and punctuation
    status, body, headers = call(asr_handler, asr_event(["itn", "punctuation"]))
    # Then the transcript, its segments and the stored result are in written form, and the header names only
    # what no model applies
    assert status == 200, body
    (output,) = body["output"]
    assert output["source"] == "0 1 2"
    assert [s["text"] for s in output["segments"]] == ["0 1 2"]
    assert headers["X-Skipped-Post-Processors"] == "punctuation"
    assert counting.request_log.results[0].transcript == "0 1 2"
    assert counting.request_log.entries[0].model_name == "asr+itn"
    # one batched call: the whole transcript and each segment
    assert ("itn", ["zero one two", "zero one two"]) in counting.inference.calls


def test_itn_applies_to_subtitles_too(counting):
    status, body, _ = call(asr_handler, asr_event(["itn"], form="srt"))
    assert status == 200 and "0 1 2" in body["output"][0]["source"] and "zero" not in body["output"][0]["source"]


def test_without_post_processors_the_transcript_is_as_heard_and_no_header(counting):
    status, body, headers = call(asr_handler, asr_event())
    assert status == 200 and body["output"][0]["source"] == "zero one two"
    assert "X-Skipped-Post-Processors" not in headers
    assert not [c for c in counting.inference.calls if c[0] == "itn"]


def test_a_language_without_an_itn_model_is_transcribed_as_heard_and_itn_named_skipped(monkeypatch):
    from speech_core.api import call_context

    # Given a registry whose ITN serves Hindi only (ASR is English)
    data = load_packaged_registry("local").model_dump()
    for service in data["services"]:
        if service["task"] == "itn":
            service["languages"] = ["hi"]
    deps = fake_deps(inference=CountingInference(), registry=parse_registry(data))
    monkeypatch.setattr(call_context, "deps_provider", lambda: deps)
    status, body, headers = call(asr_handler, asr_event(["itn"]))
    assert status == 200 and body["output"][0]["source"] == "zero one two"
    assert headers["X-Skipped-Post-Processors"] == "itn"


def test_tts_speaks_numbers_in_words(deps):
    # Given English text with digits
    status, body, _ = call(
        tts_handler,
        rest_event(
            "POST",
            "/v1/tts",
            {"input": [{"source": "I paid 25 rupees. Thanks."}], "config": {"language": EN, "gender": "female"}},
        ),
    )
    # Then each sentence is normalized (one batched call) before it is synthesized
    assert status == 200, body
    assert ("text_normalization", ["I paid 25 rupees.", "Thanks."]) in deps.inference.calls
    assert [c[1] for c in deps.inference.calls if c[0] == "synthesize"] == ["I paid two five rupees.", "Thanks."]
    assert deps.request_log.entries[0].model_name == "text_normalization+tts"


def test_tts_in_a_language_without_normalization_speaks_the_text_as_given(deps):
    status, _, _ = call(
        tts_handler,
        rest_event(
            "POST",
            "/v1/tts",
            {"input": [{"source": "25 ரூபாய்"}], "config": {"language": {"sourceLanguage": "ta"}, "gender": "male"}},
        ),
    )
    assert status == 200
    assert [c for c in deps.inference.calls if c[0] != "synthesize"] == []
    assert ("synthesize", "25 ரூபாய்") in deps.inference.calls


def test_a_sentence_normalization_lengthens_past_the_limit_is_cut_again(deps):
    # 90 digits become 90 words (~450 characters) per sentence of 100 characters: over the 500 cap
    digits = "1234567890" * 12
    status, _, _ = call(
        tts_handler,
        rest_event("POST", "/v1/tts", {"input": [{"source": digits}], "config": {"language": EN, "gender": "female"}}),
    )
    assert status == 200
    spoken = [c[1] for c in deps.inference.calls if c[0] == "synthesize"]
    assert len(spoken) > 1 and all(len(s) <= 500 for s in spoken)
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    assert " ".join(spoken).split() == [names[int(d)] for d in digits]


@pytest.mark.parametrize(
    ("requested", "language", "skipped"),
    [
        ([PostProcessor.ITN], "en", []),
        ([PostProcessor.ITN], "hi", []),
        ([PostProcessor.ITN], "ta", ["itn"]),
        ([PostProcessor.PUNCTUATION, PostProcessor.ITN], "en", ["punctuation"]),
        ([PostProcessor.ITN, PostProcessor.ITN], "ta", ["itn"]),
        ([], "en", []),
    ],
)
def test_skipped_post_processors(requested, language, skipped):
    assert skipped_post_processors(requested, language, load_packaged_registry("local")) == skipped
