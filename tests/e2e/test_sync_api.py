"""Every sync route of the HTTPS API over HTTP on the local cloud, with real audio and text, real models.

Given the local cloud is up (PostgreSQL, Triton with the CPU models, LocalStack, the function runtime)
When a client calls a route with a key, Then it gets the ULCA answer a Dhruva/Bhashini client expects.
"""

from __future__ import annotations

import base64
import copy
import io

import httpx
import numpy as np
import pytest
import soundfile as sf

from speech_core.keys import Scope
from tests.e2e.conftest import b64
from tests.unit.contracts import ulca_payloads

EN = {"sourceLanguage": "en"}
TRANSCRIPT = "go forward ten meters"


def _encode(wav: bytes, fmt: str) -> bytes:
    samples, rate = sf.read(io.BytesIO(wav), dtype="float32")
    if fmt == "mp3":  # as phones record: 44.1 kHz stereo
        import soxr

        samples, rate = soxr.resample(samples, rate, 44_100), 44_100
        samples = np.stack([samples, samples], axis=1)
    buffer = io.BytesIO()
    subtype = {"flac": "PCM_16", "ogg": "VORBIS", "mp3": "MPEG_LAYER_III"}[fmt]
    sf.write(buffer, samples, rate, format=fmt.upper(), subtype=subtype)
    return buffer.getvalue()


def test_health_needs_no_key(local_cloud):
    response = httpx.get(local_cloud.api_url + "v1/health", timeout=30)
    assert response.status_code == 200
    assert {k: v["status"] for k, v in response.json()["checks"].items()} == {"database": "ok", "triton": "ok"}


def test_asr_transcribes_a_real_recording(api, goforward_wav):
    response = api.post("v1/asr", json={"audio": [{"audioContent": b64(goforward_wav)}], "config": {"language": EN}})
    assert response.status_code == 200, response.text
    (output,) = response.json()["output"]
    assert output["source"] == TRANSCRIPT
    (segment,) = output["segments"]
    assert 0.2 < segment["start"] < segment["end"] < 2.8 and 0 < segment["confidence"] <= 1


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3"])
def test_asr_accepts_every_container(api, goforward_wav, fmt):
    body = {
        "audio": [{"audioContent": b64(_encode(goforward_wav, fmt))}],
        "config": {"language": EN, "audioFormat": fmt},
    }
    response = api.post("services/inference/asr", json=body)
    assert response.status_code == 200, response.text
    # lossy codecs may cost pocketsphinx a word; the content must still be recognisably the same
    words = response.json()["output"][0]["source"].split()
    assert len(set(words) & set(TRANSCRIPT.split())) >= 3, words


@pytest.mark.parametrize(
    ("form", "expected"), [("srt", "1\n00:00:00,"), ("webvtt", "WEBVTT\n\n00:00:00."), ("transcript", TRANSCRIPT)]
)
def test_asr_transcription_formats(api, goforward_wav, form, expected):
    body = {
        "audio": [{"audioContent": b64(goforward_wav)}],
        "config": {"language": EN, "transcriptionFormat": {"value": form}},
    }
    response = api.post("v1/asr", json=body)
    assert response.status_code == 200
    source = response.json()["output"][0]["source"]
    assert source.startswith(expected) and TRANSCRIPT in source


def test_asr_with_vad_preprocessing(api, goforward_wav):
    silence = b"\x00\x00" * 16_000
    from tests.e2e.conftest import wav_bytes

    padded = wav_bytes(silence + goforward_wav[44:] + silence)
    body = {"audio": [{"audioContent": b64(padded)}], "config": {"language": EN, "preProcessors": ["vad"]}}
    response = api.post("v1/asr", json=body)
    assert response.status_code == 200, response.text
    output = response.json()["output"][0]
    assert output["source"] == TRANSCRIPT
    assert output["segments"][0]["start"] > 1.0  # times are in the original audio, after the second of silence


def test_dhruva_client_payload_works_unchanged(local_cloud, goforward_wav):
    # Given the body a Dhruva client sends (their field set: serviceId, scripts, encoding, processors...),
    # with a raw `Authorization: <key>` header as Dhruva's clients use, and ?serviceId= on the ULCA path
    body = copy.deepcopy(ulca_payloads.DHRUVA_ASR)
    body["config"]["language"]["sourceLanguage"] = "en"  # the local CPU model is English
    body["audio"][0]["audioContent"] = b64(goforward_wav)
    response = httpx.post(
        local_cloud.api_url + "services/inference/asr",
        params={"serviceId": body["config"]["serviceId"]},
        json=body,
        headers={"Authorization": local_cloud.api_key},
        timeout=60,
    )
    # Then it gets a ULCA response with its postProcessors applied where a model serves them (itn: "ten meters" is
    # written "10 m"), and is told which one no model could apply
    assert response.status_code == 200, response.text
    assert response.json()["taskType"] == "asr" and response.json()["output"][0]["source"] == "go forward 10 m"
    assert response.headers["X-Skipped-Post-Processors"] == "punctuation"


def test_tts_speaks_indian_languages_and_english(api):
    durations = {}
    for language, text in [
        ("hi", "यह एक परीक्षण वाक्य है।"),
        ("ta", "இது ஒரு சோதனை வாக்கியம்."),
        ("bn", "এটি একটি পরীক্ষার বাক্য।"),
        ("ur", "یہ ایک آزمائشی جملہ ہے۔"),
        ("en", "This is a test sentence."),
    ]:
        response = api.post(
            "v1/tts",
            json={"input": [{"source": text}], "config": {"language": {"sourceLanguage": language}, "gender": "male"}},
        )
        assert response.status_code == 200, (language, response.text)
        body = response.json()
        audio, rate = sf.read(io.BytesIO(base64.b64decode(body["audio"][0]["audioContent"])))
        assert rate == body["config"]["samplingRate"] == 22050
        durations[language] = len(audio) / rate
    # five-word sentences: between ~1 and ~4 seconds of speech each
    assert all(0.8 < seconds < 4.5 for seconds in durations.values()), durations


def test_tts_formats_rates_sentences_and_links(api):
    body = {
        "input": [{"source": "First sentence. Second sentence!"}],
        "config": {"language": EN, "gender": "female", "audioFormat": "mp3", "samplingRate": 16000},
    }
    response = api.post("services/inference/tts", json=body)
    assert response.status_code == 200, response.text
    audio, rate = sf.read(io.BytesIO(base64.b64decode(response.json()["audio"][0]["audioContent"])))
    assert rate == 16000 and len(audio) / rate > 1.5
    body["config"].update(audioFormat="ogg", audioDelivery="url")
    response = api.post("v1/tts", json=body)
    assert response.status_code == 200, response.text
    link = response.json()["audio"][0]["audioUri"]
    fetched = httpx.get(link, timeout=30)  # a presigned S3 link (LocalStack here)
    assert fetched.status_code == 200 and sf.info(io.BytesIO(fetched.content)).format == "OGG"


def test_nmt_translates_known_sentences(api):
    response = api.post(
        "v1/nmt",
        json={
            "input": [{"source": "The house is big."}, {"source": "I have a book."}],
            "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
        },
    )
    assert response.status_code == 200, response.text
    assert [o["target"] for o in response.json()["output"]][0] == "La casa es grande."
    response = api.post(
        "services/inference/translation",
        json={
            "input": [{"source": "یہ ایک کتاب ہے"}],
            "config": {"language": {"sourceLanguage": "ur", "targetLanguage": "hi"}},
        },
    )
    assert response.status_code == 200, response.text
    assert "किताब" in response.json()["output"][0]["target"]


def test_transliteration_and_language_id(api):
    response = api.post(
        "v1/transliterate",
        json={
            "input": [{"source": "namaste"}],
            "config": {"language": {"sourceLanguage": "en", "targetLanguage": "hi"}},
        },
    )
    assert response.status_code == 200 and response.json()["output"][0]["target"] == ["नमस्ते"]
    response = api.post(
        "v1/detect-language",
        json={"input": [{"source": "यह एक किताब है और मैं इसे पढ़ रहा हूँ"}, {"source": "இது ஒரு புத்தகம் மற்றும் நான் படிக்கிறேன்"}]},
    )
    assert response.status_code == 200, response.text
    assert [o["langPrediction"][0]["langCode"] for o in response.json()["output"]] == ["hi", "ta"]


def test_pipeline_asr_to_nmt_to_tts(api, goforward_wav):
    body = {
        "pipelineTasks": [
            {"taskType": "asr", "config": {"language": EN}},
            {"taskType": "translation", "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}}},
            {"taskType": "tts", "config": {"language": {"sourceLanguage": "es"}, "gender": "female"}},
        ],
        "inputData": {"audio": [{"audioContent": b64(goforward_wav)}]},
    }
    response = api.post("services/inference/pipeline", json=body)
    assert response.status_code == 200, response.text
    asr, translation, tts = response.json()["pipelineResponse"]
    assert asr["output"][0]["source"] == TRANSCRIPT
    assert translation["output"][0] == {"source": TRANSCRIPT, "target": "Va de frente diez metros"}
    audio, rate = sf.read(io.BytesIO(base64.b64decode(tts["audio"][0]["audioContent"])))
    assert len(audio) / rate > 1.0


def test_pipeline_transliteration_then_translation(api):
    body = {
        "pipelineTasks": [
            {"taskType": "transliteration", "config": {"language": {"sourceLanguage": "en", "targetLanguage": "hi"}}},
            {"taskType": "translation", "config": {"language": {"sourceLanguage": "hi", "targetLanguage": "ur"}}},
        ],
        "inputData": {"input": [{"source": "kitAba"}]},
    }
    response = api.post("v1/pipeline", json=body)
    assert response.status_code == 200, response.text
    translit, translation = response.json()["pipelineResponse"]
    assert translit["output"][0]["target"] == ["किताब"] and translation["output"][0]["source"] == "किताब"


def test_models_lists_what_is_served(api):
    response = api.get("v1/models")
    assert response.status_code == 200
    tasks = {m["task"]: m for m in response.json()["models"]}
    assert tasks["asr"]["languages"] == ["en"] and "ur-hi" in tasks["translation"]["languagePairs"]


def test_usage_counts_this_keys_calls(local_cloud, make_key, goforward_wav):
    with local_cloud.client(make_key()) as client:
        for _ in range(2):
            assert (
                client.post(
                    "v1/asr", json={"audio": [{"audioContent": b64(goforward_wav)}], "config": {"language": EN}}
                ).status_code
                == 200
            )
        assert (
            client.post(
                "v1/nmt",
                json={
                    "input": [{"source": "Hello"}],
                    "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
                },
            ).status_code
            == 200
        )
        assert (
            client.post("v1/asr", json={"audio": [{"audioContent": "%%%"}], "config": {"language": EN}}).status_code
            == 400
        )
        usage = client.get("v1/usage").json()
    by_task = {day["task"]: day for day in usage["days"]}
    assert by_task["asr"]["requests"] == 3 and by_task["asr"]["errors"] == 1
    assert by_task["asr"]["audioSeconds"] == pytest.approx(2 * 2.786, abs=0.01)
    assert by_task["translation"]["characters"] == 5
    assert usage["currentWindows"]["minute"] == 4


def test_upload_then_transcribe_by_uri(local_cloud, make_key, goforward_wav):
    with local_cloud.client(make_key([Scope.ASR])) as client:
        upload = client.post("v1/uploads", json={"fileName": "meeting.wav", "contentType": "audio/wav"})
        assert upload.status_code == 200, upload.text
        ticket = upload.json()
        put = httpx.put(ticket["uploadUrl"], content=goforward_wav, headers=ticket["headers"], timeout=30)
        assert put.status_code == 200, put.text
        response = client.post("v1/asr", json={"audio": [{"audioUri": ticket["audioUri"]}], "config": {"language": EN}})
        assert response.status_code == 200, response.text
        assert response.json()["output"][0]["source"] == TRANSCRIPT


def test_openapi_document_is_served(api):
    response = api.get("v1/openapi.json")
    assert response.status_code == 200
    assert "/services/inference/pipeline" in response.json()["paths"]
