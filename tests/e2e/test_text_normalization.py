"""ITN on ASR output and text normalization before TTS, over HTTP on the local cloud with the real models.

Given the local cloud (Triton serving `itn` and `text_normalization` with NeMo's grammars compiled at set-up)
When a client asks for `postProcessors: ["itn"]`, Then spoken numbers come back as digits; and When it sends
numeric text to TTS, Then the speech says the numbers, as the platform's own ASR hears when it transcribes the
audio back.
"""

from __future__ import annotations

import base64

import httpx

from tests.e2e.conftest import b64

EN = {"sourceLanguage": "en"}


def transcribe(api: httpx.Client, audio: bytes, **config: object) -> httpx.Response:
    return api.post("v1/asr", json={"audio": [{"audioContent": b64(audio)}], "config": {"language": EN, **config}})


def test_itn_writes_the_number_in_a_real_recording_as_digits(api, goforward_wav):
    # Given a real recording of "go forward ten meters"
    plain = transcribe(api, goforward_wav)
    with_itn = transcribe(api, goforward_wav, postProcessors=["itn"])
    both = transcribe(api, goforward_wav, postProcessors=["itn", "punctuation"])
    # Then without ITN the number is a word, with it digits and a unit; only punctuation is said to be skipped
    assert plain.status_code == with_itn.status_code == both.status_code == 200, (with_itn.text, both.text)
    assert plain.json()["output"][0]["source"] == "go forward ten meters"
    (output,) = with_itn.json()["output"]
    assert output["source"] == "go forward 10 m"
    assert [segment["text"] for segment in output["segments"]] == ["go forward 10 m"]
    assert "X-Skipped-Post-Processors" not in with_itn.headers
    assert both.headers["X-Skipped-Post-Processors"] == "punctuation"


def test_itn_applies_to_subtitles(api, goforward_wav):
    response = transcribe(api, goforward_wav, postProcessors=["itn"], transcriptionFormat={"value": "srt"})
    assert response.status_code == 200, response.text
    srt = response.json()["output"][0]["source"]
    assert "go forward 10 m" in srt and "ten" not in srt


def test_tts_says_a_rupee_amount_as_words_heard_back_by_asr(api):
    # Given English text with an amount in rupees: normalized it reads "I paid two hundred and fifty rupees."
    # (espeak-ng alone would say "rupee two hundred and fifty", the symbol first)
    tts = api.post(
        "v1/tts",
        json={
            "input": [{"source": "I paid ₹250."}],
            "config": {"language": EN, "gender": "male", "audioFormat": "wav", "samplingRate": 16000},
        },
    )
    assert tts.status_code == 200, tts.text
    audio = base64.b64decode(tts.json()["audio"][0]["audioContent"])
    # When the platform's ASR transcribes the speech back, plain and with ITN
    heard = transcribe(api, audio)
    written = transcribe(api, audio, postProcessors=["itn"])
    assert heard.status_code == written.status_code == 200, (heard.text, written.text)
    # Then it hears the number in the spoken order, and ITN writes it as the amount
    assert "two hundred and fifty rupees" in heard.json()["output"][0]["source"]
    assert "₹250" in written.json()["output"][0]["source"]


def test_hindi_tts_speaks_digits_and_currency_exactly_as_the_spelled_out_sentence(api):
    # Hindi has no ASR here, so the spoken form is checked against the synthesizer itself: text normalization
    # turns "मैंने 3 मार्च को ₹250 दिए" into "मैंने तीन मार्च को दो सौ पचास रुपए दिए" ("I gave two hundred fifty
    # rupees on the third of March"), so both must give the very same audio (espeak-ng is deterministic, and
    # one key stays on one A/B arm of the TTS model).
    def speech(text: str) -> bytes:
        response = api.post(
            "v1/tts",
            json={"input": [{"source": text}], "config": {"language": {"sourceLanguage": "hi"}, "gender": "female"}},
        )
        assert response.status_code == 200, response.text
        return base64.b64decode(response.json()["audio"][0]["audioContent"])

    with_digits = speech("मैंने 3 मार्च को ₹250 दिए")
    assert with_digits == speech("मैंने तीन मार्च को दो सौ पचास रुपए दिए")
    assert with_digits != speech("मैंने 3 मार्च को 250 दिए")  # not the same words whatever the text: a control
