"""The sync inference routes end to end in-process: real parsing, audio decoding, error mapping and
metering, with fake model calls and repositories. (The same paths against real Triton, PostgreSQL and
LocalStack are in tests/e2e.)"""

from __future__ import annotations

import base64
import io
import json

import pytest
import soundfile as sf

from functions.asr.handle_transcribe_audio import handler as asr_handler
from functions.language_id.handle_identify_language import handler as language_id_handler
from functions.pipeline.handle_run_pipeline import handler as pipeline_handler
from functions.translation.handle_translate_text import handler as translation_handler
from functions.transliteration.handle_transliterate_text import handler as translit_handler
from functions.tts.handle_synthesize_speech import handler as tts_handler
from tests.unit.api.conftest import authorizer_context, call, rest_event, wav_base64

EN = {"sourceLanguage": "en"}


def asr_body(audio: str | None = None, **config):
    return {
        "audio": [{"audioContent": audio if audio is not None else wav_base64(3.2)}],
        "config": {"language": EN, **config},
    }


def test_asr_transcribes_and_records_the_call(deps):
    status, body, _ = call(asr_handler, rest_event("POST", "/v1/asr", asr_body()))
    assert status == 200, body
    (output,) = body["output"]
    assert output["source"] == "word0 word1 word2"
    assert [s["start"] for s in output["segments"]] == [0.1]
    (entry,) = deps.request_log.entries
    assert (entry.task, entry.status, entry.model_name, entry.source_language) == ("asr", 200, "asr", "en")
    assert entry.audio_seconds == pytest.approx(3.2) and entry.input_bytes > 100_000
    assert deps.request_log.results[0].transcript == "word0 word1 word2"


def test_asr_stereo_8khz_is_downmixed_and_resampled_for_the_model(deps):
    status, _, _ = call(asr_handler, rest_event("POST", "/v1/asr", asr_body(wav_base64(2.0, rate=8000, channels=2))))
    assert status == 200
    assert ("transcribe", 32_000) in deps.inference.calls


@pytest.mark.parametrize(("form", "marker"), [("srt", "00:00:00,100 --> "), ("webvtt", "WEBVTT")])
def test_asr_subtitle_formats(deps, form, marker):
    status, body, _ = call(
        asr_handler,
        rest_event(
            "POST",
            "/services/inference/asr",
            asr_body(transcriptionFormat={"value": form}),
            query={"serviceId": "ai4bharat/conformer-en-gpu--t4"},
        ),
    )
    assert status == 200 and marker in body["output"][0]["source"]


def test_asr_with_vad_transcribes_each_speech_region(deps):
    status, body, _ = call(asr_handler, rest_event("POST", "/v1/asr", asr_body(preProcessors=["vad"])))
    assert status == 200
    assert [c[0] for c in deps.inference.calls] == ["detect_speech", "transcribe", "transcribe"]
    assert deps.request_log.entries[0].model_name == "vad+asr"


def test_unsupported_post_processors_are_named_in_a_header(deps):
    # itn is served (tests/unit/api/test_text_normalization_routes.py); no model adds punctuation here
    status, _, headers = call(
        asr_handler, rest_event("POST", "/v1/asr", asr_body(postProcessors=["itn", "punctuation"]))
    )
    assert status == 200 and headers["X-Skipped-Post-Processors"] == "punctuation"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (asr_body("!!!not base64!!!"), 400, "audio.invalid_base64"),
        (asr_body(base64.b64encode(b"RIFF\x24\x00\x00\x00WAVEfmt garbage").decode()), 400, "audio.corrupt"),
        (asr_body(base64.b64encode(b"just some text, not audio at all").decode()), 415, "audio.unsupported_format"),
        (asr_body(wav_base64(61.0)), 413, "audio.too_long"),
        (
            {"audio": [{"audioContent": wav_base64(1)}], "config": {"language": {"sourceLanguage": "hi"}}},
            400,
            "language.unsupported",
        ),
        (
            {"audio": [{"audioContent": wav_base64(1)}], "config": {"language": {"sourceLanguage": "xx"}}},
            400,
            "language.unsupported",
        ),
        ({"audio": [], "config": {"language": EN}}, 400, "request.invalid"),
        ("{not json", 400, "request.invalid"),
        (
            # https links are fetched (tests/unit/outbound); plain http only where the stage allows local links
            {"audio": [{"audioUri": "http://example.com/a.wav"}], "config": {"language": EN}},
            400,
            "audio.uri_refused",
        ),
        (
            # no network in unit tests: the name does not resolve
            {"audio": [{"audioUri": "https://example.com/a.wav"}], "config": {"language": EN}},
            400,
            "audio.uri_unreachable",
        ),
        (
            {"audio": [{"audioUri": "s3://ingest/uploads/someone-else/a.wav"}], "config": {"language": EN}},
            403,
            "audio.uri_forbidden",
        ),
    ],
)
def test_asr_errors_are_typed_and_recorded(deps, body, status, code):
    got_status, got, _ = call(asr_handler, rest_event("POST", "/v1/asr", body))
    assert (got_status, got["error"]["code"]) == (status, code), got
    assert got["error"]["requestId"].startswith("req-")
    # every refused call is in the request log with its code, whether refused by validation or by the route
    assert [(e.task, e.status, e.error_code) for e in deps.request_log.entries] == [("asr", status, code)]


def test_too_long_audio_points_at_the_jobs_api(deps):
    _, body, _ = call(asr_handler, rest_event("POST", "/v1/asr", asr_body(wav_base64(61.0))))
    assert body["error"]["details"]["batchApi"] == "POST /v1/jobs"


def test_own_upload_is_read_from_the_ingest_bucket(deps):
    from tests.unit.api.conftest import TENANT_ID

    wav = base64.b64decode(wav_base64(2.0))
    deps.objects.put("ingest", f"uploads/{TENANT_ID}/x/a.wav", wav, "audio/wav")
    status, body, _ = call(
        asr_handler,
        rest_event(
            "POST",
            "/v1/asr",
            {"audio": [{"audioUri": f"s3://ingest/uploads/{TENANT_ID}/x/a.wav"}], "config": {"language": EN}},
        ),
    )
    assert status == 200 and body["output"][0]["source"] == "word0 word1"


def test_missing_authorizer_context_fails_closed(deps):
    status, body, _ = call(asr_handler, rest_event("POST", "/v1/asr", asr_body(), authorizer={}))
    assert (status, body["error"]["code"]) == (401, "auth.missing_key")


def test_key_without_scope_is_refused_and_recorded(deps):
    status, body, _ = call(
        asr_handler, rest_event("POST", "/v1/asr", asr_body(), authorizer=authorizer_context(scopes="tts"))
    )
    assert (status, body["error"]["code"]) == (403, "auth.insufficient_scope")
    assert deps.request_log.entries[0].status == 403 and deps.inference.calls == []


def test_rate_limit_answers_429_with_retry_after(deps):
    deps.rate_limiter.allowed = 2
    statuses = [call(asr_handler, rest_event("POST", "/v1/asr", asr_body()))[0] for _ in range(2)]
    status, body, headers = call(asr_handler, rest_event("POST", "/v1/asr", asr_body()))
    assert statuses == [200, 200] and status == 429
    assert body["error"]["code"] == "rate.limited" and headers["Retry-After"] == "17"


def test_tts_returns_audio_in_the_requested_format_and_rate(deps):
    status, body, _ = call(
        tts_handler,
        rest_event(
            "POST",
            "/v1/tts",
            {
                "input": [{"source": "पहला वाक्य। दूसरा वाक्य।"}],
                "config": {
                    "language": {"sourceLanguage": "hi"},
                    "gender": "female",
                    "audioFormat": "flac",
                    "samplingRate": 16000,
                },
            },
        ),
    )
    assert status == 200, body
    audio, rate = sf.read(io.BytesIO(base64.b64decode(body["audio"][0]["audioContent"])))
    assert rate == 16000 and body["config"]["samplingRate"] == 16000
    # two sentences of 0.5 s each and a 0.15 s pause, resampled
    assert len(audio) / rate == pytest.approx(1.15, abs=0.01)
    assert [c for c in deps.inference.calls if c[0] == "synthesize"] == [
        ("synthesize", "पहला वाक्य।"),
        ("synthesize", "दूसरा वाक्य।"),
    ]


def test_tts_can_answer_with_a_presigned_link(deps):
    status, body, _ = call(
        tts_handler,
        rest_event(
            "POST",
            "/v1/tts",
            {"input": [{"source": "hello"}], "config": {"language": EN, "gender": "male", "audioDelivery": "url"}},
        ),
    )
    assert status == 200 and body["audio"][0]["audioUri"].startswith("https://audio.s3.local/tts/")
    assert "audioContent" not in body["audio"][0] or body["audio"][0]["audioContent"] is None


def test_tts_mp3_at_a_rate_mpeg_lacks_is_a_clear_400(deps):
    status, body, _ = call(
        tts_handler,
        rest_event(
            "POST",
            "/v1/tts",
            {
                "input": [{"source": "hello"}],
                "config": {"language": EN, "gender": "male", "audioFormat": "mp3", "samplingRate": 20000},
            },
        ),
    )
    assert (status, body["error"]["code"]) == (400, "audio.unsupported_sample_rate")


def test_tts_unknown_voice_language(deps):
    status, body, _ = call(
        tts_handler,
        rest_event(
            "POST",
            "/v1/tts",
            {"input": [{"source": "x"}], "config": {"language": {"sourceLanguage": "mni"}, "gender": "male"}},
        ),
    )
    assert (status, body["error"]["code"]) == (400, "language.unsupported")
    assert "hi" in body["error"]["details"]["supportedLanguages"]


def test_translation_batch_and_unsupported_pair(deps):
    status, body, _ = call(
        translation_handler,
        rest_event(
            "POST",
            "/v1/nmt",
            {
                "input": [{"source": "one"}, {"source": "two"}],
                "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
            },
        ),
    )
    assert status == 200 and [o["target"] for o in body["output"]] == ["[es] one", "[es] two"]
    assert deps.request_log.entries[-1].characters == 6
    status, body, _ = call(
        translation_handler,
        rest_event(
            "POST",
            "/services/inference/translation",
            {"input": [{"source": "one"}], "config": {"language": {"sourceLanguage": "en", "targetLanguage": "ta"}}},
        ),
    )
    assert (status, body["error"]["code"]) == (400, "language.pair_unsupported")


def test_transliteration_and_language_id(deps):
    status, body, _ = call(
        translit_handler,
        rest_event(
            "POST",
            "/v1/transliterate",
            {
                "input": [{"source": "namaste"}],
                "config": {"language": {"sourceLanguage": "en", "targetLanguage": "hi"}},
            },
        ),
    )
    assert status == 200 and body["output"][0]["target"] == ["NAMASTE"]
    status, body, _ = call(
        language_id_handler, rest_event("POST", "/v1/detect-language", {"input": [{"source": "नमस्ते"}]})
    )
    assert status == 200 and body["output"][0]["langPrediction"][0]["langCode"] == "hi"


def test_pipeline_asr_translation_tts_chains_outputs(deps):
    status, body, _ = call(
        pipeline_handler,
        rest_event(
            "POST",
            "/v1/pipeline",
            {
                "pipelineTasks": [
                    {"taskType": "asr", "config": {"language": EN}},
                    {
                        "taskType": "translation",
                        "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
                    },
                    {"taskType": "tts", "config": {"language": {"sourceLanguage": "es"}, "gender": "female"}},
                ],
                "inputData": {"audio": [{"audioContent": wav_base64(2.0)}]},
            },
        ),
    )
    assert status == 200, body
    asr_out, translation_out, tts_out = body["pipelineResponse"]
    assert translation_out["output"][0] == {"source": "word0 word1", "target": "[es] word0 word1"}
    assert ("synthesize", "[es] word0 word1") in deps.inference.calls and tts_out["audio"][0]["audioContent"]
    assert deps.request_log.entries[-1].model_name == "asr+translation+tts"


def test_invalid_chain_is_a_400_that_says_why(deps):
    status, body, _ = call(
        pipeline_handler,
        rest_event(
            "POST",
            "/services/inference/pipeline",
            {
                "pipelineTasks": [
                    {"taskType": "tts", "config": {"language": EN, "gender": "male"}},
                    {
                        "taskType": "translation",
                        "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
                    },
                ],
                "inputData": {"input": [{"source": "hello"}]},
            },
        ),
    )
    assert (status, body["error"]["code"]) == (400, "pipeline.invalid_chain")
    assert "reads text" in body["error"]["message"]


def test_inputs_and_outputs_are_kept_unless_the_caller_opts_out(deps):
    # Given no controlConfig (as Dhruva clients often send): copies are kept
    event = rest_event(
        "POST",
        "/v1/nmt",
        {"input": [{"source": "keep me"}], "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}}},
    )
    status, _, _ = call(translation_handler, event)
    request_id = event["requestContext"]["requestId"]
    assert status == 200
    kept = {
        key.rsplit("/", 1)[-1]: json.loads(body)
        for (bucket, key), body in deps.objects.objects.items()
        if bucket == "audio" and request_id in key
    }
    assert set(kept) == {"call.json"}
    assert kept["call.json"]["request"]["input"] == [{"source": "keep me"}]
    assert kept["call.json"]["response"]["output"] == [{"source": "keep me", "target": "[es] keep me"}]
    # When the caller says dataTracking: false, Then nothing of that call is kept
    deps.objects.objects.clear()
    status, _, _ = call(
        translation_handler,
        rest_event(
            "POST",
            "/v1/nmt",
            {
                "input": [{"source": "forget me"}],
                "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
                "controlConfig": {"dataTracking": False},
            },
        ),
    )
    assert status == 200 and deps.objects.objects == {}


def test_calls_are_metered_under_one_task_name_whatever_the_path(deps):
    pair = {"language": {"sourceLanguage": "en", "targetLanguage": "es"}}
    # Given translation on its public and ULCA paths (one refused for its body) and language identification
    call(translation_handler, rest_event("POST", "/v1/nmt", {"input": [{"source": "a"}], "config": pair}))
    call(translation_handler, rest_event("POST", "/services/inference/translation", {"input": [], "config": pair}))
    call(language_id_handler, rest_event("POST", "/v1/detect-language", {"input": [{"source": "नमस्ते"}]}))
    # Then the request log says translation and language_id, like the scopes and the registry
    assert [(e.task, e.status) for e in deps.request_log.entries] == [
        ("translation", 200),
        ("translation", 400),
        ("language_id", 200),
    ]
    # and a key without the translation scope is told which scope it lacks
    status, body, _ = call(
        translation_handler,
        rest_event(
            "POST", "/v1/nmt", {"input": [{"source": "a"}], "config": pair}, authorizer=authorizer_context(scopes="asr")
        ),
    )
    assert (status, body["error"]["details"]["required"]) == (403, "translation")
