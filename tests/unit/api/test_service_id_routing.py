"""serviceId routing: the registry's own ids and the Dhruva/Bhashini aliases select a service; an unknown id
falls back to language routing; every response names the serviceId (config.serviceId) and the version that
served (X-Service-Id / X-Model-Version). Transliteration's isSentence and numSuggestions."""

from __future__ import annotations

import pytest

from functions.asr.handle_transcribe_audio import handler as asr_handler
from functions.pipeline.handle_run_pipeline import handler as pipeline_handler
from functions.translation.handle_translate_text import handler as translation_handler
from functions.transliteration.handle_transliterate_text import handler as translit_handler
from functions.tts.handle_synthesize_speech import handler as tts_handler
from speech_core.inference import load_packaged_registry, parse_registry
from tests.unit.api.conftest import call, rest_event, wav_base64

WHISPER = "ai4bharat/whisper-medium-en--gpu--t4"


def two_asr_services():
    """Two English ASR services; only the second answers to the Dhruva whisper id."""
    service = {"task": "asr", "versions": [{"version": "1"}], "languages": ["en"]}
    return parse_registry(
        {
            "services": [
                {**service, "service_id": "a/first", "model": "first"},
                {**service, "service_id": "b/second", "model": "second", "aliases": [WHISPER]},
                {
                    "service_id": "c/tts",
                    "task": "tts",
                    "model": "tts",
                    "versions": [{"version": "1"}],
                    "languages": ["hi"],
                    "voices": ["male"],
                    "aliases": ["ai4bharat/indic-tts-coqui-indo_aryan-gpu--t4"],
                },
            ]
        }
    )


@pytest.mark.parametrize(
    ("service_id", "model"),
    [
        (None, "first"),  # no serviceId: the first service serving the language
        ("b/second", "second"),  # the registry's own id
        (WHISPER, "second"),  # a Dhruva/Bhashini alias
        ("ai4bharat/unknown-model--gpu--t4", "first"),  # unknown: language routing
        ("ai4bharat/indic-tts-coqui-indo_aryan-gpu--t4", "first"),  # known, but another task's: language routing
    ],
)
def test_a_known_service_id_selects_its_service_and_an_unknown_one_falls_back(service_id, model):
    selection = two_asr_services().select("asr", language="en", service_id=service_id)
    assert selection.model == model


def test_a_known_service_id_that_does_not_serve_the_language_falls_back_to_language_routing():
    registry = load_packaged_registry("production")
    selection = registry.select("asr", language="en", service_id="ai4bharat/conformer-hi-gpu--t4")
    assert selection.service_id == "ai4bharat/whisper-en-asr"
    assert registry.select("asr", language="hi", service_id="ai4bharat/conformer-hi-gpu--t4").service_id == (
        "ai4bharat/indicconformer-asr"
    )


@pytest.mark.parametrize("name", ["local", "production"])
@pytest.mark.parametrize(
    ("alias", "task", "language"),
    [
        (WHISPER, "asr", {"language": "en"}),
        ("ai4bharat/indictrans-v2-all-gpu--t4", "translation", {"source": "hi", "target": "ur"}),
        ("ai4bharat/indic-tts-coqui-indo_aryan-gpu--t4", "tts", {"language": "hi"}),
        ("ai4bharat/indicxlit--cpu-fsv2", "transliteration", {"source": "en", "target": "hi"}),
    ],
)
def test_packaged_registries_answer_to_the_well_known_catalogue_ids(name, alias, task, language):
    registry = load_packaged_registry(name)
    named = registry.service_named(alias)
    assert named is not None and named.task == task
    assert registry.select(task, service_id=alias, **language).service_id == named.service_id


def test_an_alias_may_not_repeat_a_service_id_or_another_alias():
    service = {"task": "asr", "versions": [{"version": "1"}], "languages": ["en"], "model": "m"}
    with pytest.raises(ValueError, match="aliases must be unique"):
        parse_registry({"services": [{**service, "service_id": "a"}, {**service, "service_id": "b", "aliases": ["a"]}]})


def test_asr_response_names_the_service_and_version_in_config_and_headers(deps):
    body = {"audio": [{"audioContent": wav_base64(1.0)}], "config": {"language": {"sourceLanguage": "en"}}}
    body["config"]["serviceId"] = WHISPER
    status, answer, headers = call(asr_handler, rest_event("POST", "/services/inference/asr", body))
    assert status == 200, answer
    assert answer["config"]["serviceId"] == "local/pocketsphinx-en-asr"
    assert (headers["X-Service-Id"], headers["X-Model-Version"]) == ("local/pocketsphinx-en-asr", "1")


def test_an_unknown_service_id_is_answered_by_language_routing_and_says_so(deps):
    body = {
        "input": [{"source": "hello"}],
        "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}, "serviceId": "nobody/knows"},
    }
    status, answer, headers = call(translation_handler, rest_event("POST", "/services/inference/translation", body))
    assert status == 200, answer
    assert answer["config"]["serviceId"] == headers["X-Service-Id"] == "local/apertium-translation"


def test_the_query_service_id_routes_when_the_config_has_none(deps):
    body = {"input": [{"source": "नमस्ते"}], "config": {"language": {"sourceLanguage": "hi"}, "gender": "male"}}
    status, answer, headers = call(
        tts_handler,
        rest_event(
            "POST", "/services/inference/tts", body, query={"serviceId": "ai4bharat/indic-tts-coqui-indo_aryan-gpu--t4"}
        ),
    )
    assert status == 200, answer
    assert answer["config"]["serviceId"] == headers["X-Service-Id"] == "local/espeak-ng-tts"
    assert headers["X-Model-Version"] in {"1", "2"}


def test_a_pipeline_names_every_service_in_order(deps):
    body = {
        "pipelineTasks": [
            {"taskType": "asr", "config": {"language": {"sourceLanguage": "en"}, "serviceId": WHISPER}},
            {"taskType": "translation", "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}}},
        ],
        "inputData": {"audio": [{"audioContent": wav_base64(1.0)}]},
    }
    status, answer, headers = call(pipeline_handler, rest_event("POST", "/services/inference/pipeline", body))
    assert status == 200, answer
    assert [r["config"]["serviceId"] for r in answer["pipelineResponse"]] == [
        "local/pocketsphinx-en-asr",
        "local/apertium-translation",
    ]
    assert headers["X-Service-Id"] == "local/pocketsphinx-en-asr,local/apertium-translation"
    assert headers["X-Model-Version"] == "1,1"


def translit_body(**config):
    return {
        "input": [{"source": "bharat"}, {"source": "namaste"}],
        "config": {"language": {"sourceLanguage": "en", "targetLanguage": "hi"}, **config},
    }


def test_transliteration_of_sentences_gives_one_target_each(deps):
    status, answer, _ = call(translit_handler, rest_event("POST", "/v1/transliterate", translit_body()))
    assert status == 200, answer
    assert [o["target"] for o in answer["output"]] == [["BHARAT"], ["NAMASTE"]]
    assert not any(name == "transliterate_words" for name, _ in deps.inference.calls)


@pytest.mark.parametrize(("asked", "given"), [(3, 3), (1, 1), (0, 1)])
def test_transliteration_of_words_gives_num_suggestions_candidates(deps, asked, given):
    body = translit_body(isSentence=False, numSuggestions=asked)
    status, answer, _ = call(translit_handler, rest_event("POST", "/services/inference/transliteration", body))
    assert status == 200, answer
    assert [len(o["target"]) for o in answer["output"]] == [given, given]
    assert ("transliterate_words", (["bharat", "namaste"], given)) in deps.inference.calls
    assert answer["config"]["serviceId"] == "local/indic-transliteration"


def test_more_suggestions_than_allowed_is_a_400(deps):
    body = translit_body(isSentence=False, numSuggestions=11)
    status, answer, _ = call(translit_handler, rest_event("POST", "/v1/transliterate", body))
    assert status == 400 and answer["error"]["code"] == "request.invalid"
