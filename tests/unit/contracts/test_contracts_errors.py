"""Bad requests become one typed SpeechError naming every wrong field; each code from a real bad body."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from speech_core.contracts import (
    AsrRequest,
    LanguageIdRequest,
    PipelineRequest,
    TaskType,
    TranslationRequest,
    TtsRequest,
    parse_request,
    validate_pipeline_chain,
)
from speech_core.contracts.limits import (
    MAX_AUDIO_CONTENT_CHARS,
    MAX_AUDIO_ITEMS,
    MAX_TEXT_CHARS,
    MAX_TRANSLATION_BATCH,
)
from speech_core.errors import AudioError, ErrorCode, LanguageError, RequestError, SpeechError
from tests.unit.contracts import ulca_payloads as payloads


def refused(model: type, body: Any) -> SpeechError:
    with pytest.raises(SpeechError) as caught:
        parse_request(model, body)
    assert caught.value.http_status in (400, 413), caught.value
    return caught.value


def fields(error: SpeechError) -> list[str]:
    return [item["field"] for item in error.details["errors"]]


def asr_body(**config: Any) -> dict[str, Any]:
    body = copy.deepcopy(payloads.DHRUVA_ASR)
    body["config"].update(config)
    return body


def test_unknown_language_code_is_language_unsupported():
    error = refused(AsrRequest, asr_body(language={"sourceLanguage": "xx"}))
    assert isinstance(error, LanguageError) and error.code is ErrorCode.LANGUAGE_UNSUPPORTED
    assert fields(error) == ["config.language.sourceLanguage"]
    assert "'xx'" in error.message


def test_unknown_target_language_in_translation_names_the_field():
    body = copy.deepcopy(payloads.DHRUVA_TRANSLATION)
    body["config"]["language"]["targetLanguage"] = "klingon"
    error = refused(TranslationRequest, body)
    assert error.code is ErrorCode.LANGUAGE_UNSUPPORTED
    assert fields(error) == ["config.language.targetLanguage"]


def test_unknown_script_code_is_request_invalid():
    error = refused(AsrRequest, asr_body(language={"sourceLanguage": "hi", "sourceScriptCode": "Xyzw"}))
    assert error.code is ErrorCode.REQUEST_INVALID
    assert fields(error) == ["config.language.sourceScriptCode"]


def test_translation_into_the_same_language_is_pair_unsupported():
    body = copy.deepcopy(payloads.DHRUVA_TRANSLATION)
    body["config"]["language"].update(sourceLanguage="hi", targetLanguage="HI")
    error = refused(TranslationRequest, body)
    assert isinstance(error, LanguageError) and error.code is ErrorCode.LANGUAGE_PAIR_UNSUPPORTED


@pytest.mark.parametrize(
    "audio_item,why",
    [
        ({"audioContent": payloads.AUDIO_B64, "audioUri": "https://example.org/a.wav"}, "both"),
        ({}, "neither"),
        ({"audioContent": None, "audioUri": None}, "neither"),
    ],
)
def test_audio_item_needs_exactly_one_source(audio_item, why):
    body = asr_body()
    body["audio"] = [audio_item]
    error = refused(AsrRequest, body)
    assert error.code is ErrorCode.REQUEST_INVALID
    assert fields(error) == ["audio[0]"]
    assert why in error.details["errors"][0]["message"]


def test_empty_audio_content_is_audio_empty():
    body = asr_body()
    body["audio"] = [{"audioContent": ""}]
    error = refused(AsrRequest, body)
    assert isinstance(error, AudioError) and error.code is ErrorCode.AUDIO_EMPTY


def test_oversized_audio_content_is_too_large_and_not_echoed():
    body = asr_body()
    body["audio"] = [{"audioContent": "A" * (MAX_AUDIO_CONTENT_CHARS + 4)}]
    error = refused(AsrRequest, body)
    assert error.code is ErrorCode.AUDIO_TOO_LARGE and error.http_status == 413
    assert len(str(error.error_body())) < 1_000  # the base64 is not copied into the error


@pytest.mark.parametrize("uri", ["ftp://host/a.wav", "file:///etc/passwd", "not a uri", "https://"])
def test_audio_uri_must_be_http_or_s3(uri):
    body = asr_body()
    body["audio"] = [{"audioUri": uri}]
    assert refused(AsrRequest, body).code is ErrorCode.REQUEST_INVALID


def test_too_many_audio_items_is_request_invalid():
    body = asr_body()
    body["audio"] = [{"audioContent": payloads.AUDIO_B64}] * (MAX_AUDIO_ITEMS + 1)
    error = refused(AsrRequest, body)
    assert error.code is ErrorCode.REQUEST_INVALID and fields(error) == ["audio"]


def test_no_audio_items_is_request_invalid():
    body = asr_body()
    body["audio"] = []
    assert refused(AsrRequest, body).code is ErrorCode.REQUEST_INVALID


@pytest.mark.parametrize(
    "config,field",
    [
        ({"samplingRate": 4000}, "config.samplingRate"),
        ({"samplingRate": 400_000}, "config.samplingRate"),
        ({"audioFormat": "aiff"}, "config.audioFormat"),
        ({"transcriptionFormat": {"value": "docx"}}, "config.transcriptionFormat.value"),
        ({"postProcessors": ["itn", "sentiment"]}, "config.postProcessors[1]"),
        ({"preProcessors": ["denoise"]}, "config.preProcessors[0]"),
        ({"bestTokenCount": 99}, "config.bestTokenCount"),
    ],
)
def test_out_of_range_asr_config_names_the_field(config, field):
    error = refused(AsrRequest, asr_body(**config))
    assert error.code is ErrorCode.REQUEST_INVALID
    assert fields(error) == [field]


def test_missing_config_and_language_are_reported_together():
    body = {"audio": [{"audioContent": payloads.AUDIO_B64}]}
    error = refused(AsrRequest, body)
    assert fields(error) == ["config"]
    error = refused(AsrRequest, asr_body(language={}))
    assert fields(error) == ["config.language.sourceLanguage"]


def test_mixed_errors_fall_back_to_request_invalid_listing_all():
    body = asr_body(language={"sourceLanguage": "xx"}, samplingRate=1)
    error = refused(AsrRequest, body)
    assert error.code is ErrorCode.REQUEST_INVALID
    assert sorted(fields(error)) == ["config.language.sourceLanguage", "config.samplingRate"]


def test_tts_without_gender_is_request_invalid():
    body = copy.deepcopy(payloads.DHRUVA_TTS)
    del body["config"]["gender"]
    assert fields(refused(TtsRequest, body)) == ["config.gender"]


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_blank_text_is_text_empty(text):
    error = refused(TtsRequest, {**payloads.DHRUVA_TTS, "input": [{"source": text}]})
    assert isinstance(error, RequestError) and error.code is ErrorCode.TEXT_EMPTY
    assert fields(error) == ["input[0].source"]


def test_over_long_text_is_text_too_long():
    too_long = "a" * (MAX_TEXT_CHARS + 1)
    body = {**payloads.DHRUVA_TRANSLATION, "input": [{"source": "ok"}, {"source": too_long}]}
    error = refused(TranslationRequest, body)
    assert error.code is ErrorCode.TEXT_TOO_LONG and error.http_status == 413
    assert fields(error) == ["input[1].source"]


def test_nmt_batch_over_limit_is_request_invalid():
    body = {**payloads.DHRUVA_TRANSLATION, "input": [{"source": "x"}] * (MAX_TRANSLATION_BATCH + 1)}
    assert refused(TranslationRequest, body).code is ErrorCode.REQUEST_INVALID


def test_language_id_without_input_is_request_invalid():
    assert fields(refused(LanguageIdRequest, {"config": {}})) == ["input"]


@pytest.mark.parametrize("body", [b"{not json", "[]", "null", '"a string"'])
def test_body_that_is_not_a_json_object_is_request_invalid(body):
    assert refused(AsrRequest, body).code is ErrorCode.REQUEST_INVALID


def test_error_body_is_the_platform_json_shape():
    error = refused(AsrRequest, asr_body(language={"sourceLanguage": "xx"}))
    body = error.error_body(request_id="req-1")["error"]
    assert body["code"] == "language.unsupported" and body["requestId"] == "req-1"
    assert body["details"]["errors"][0] == {
        "field": "config.language.sourceLanguage",
        "type": "language_unsupported",
        "message": error.details["errors"][0]["message"],
    }


# --- pipeline chains --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chain,reason",
    [
        (["tts", "translation"], "reads text, but task 1 (tts) produces audio"),
        (["tts", "asr"], "must be the first task"),
        (["asr", "asr"], "must be the first task"),
        (["translation", "asr"], "must be the first task"),
        (["txt-lang-detection", "translation"], "produces a language label"),
        (["tts", "tts"], "produces audio"),
        ([], "empty"),
        (["asr", "summarise"], "summarise"),
    ],
)
def test_invalid_chain_says_why(chain, reason):
    with pytest.raises(RequestError) as caught:
        validate_pipeline_chain(chain)
    assert caught.value.code is ErrorCode.PIPELINE_INVALID_CHAIN and caught.value.http_status == 400
    assert reason in caught.value.message


@pytest.mark.parametrize(
    "chain",
    [
        [TaskType.ASR, TaskType.TRANSLATION, TaskType.TTS],
        ["asr", "translation"],
        ["translation", "tts"],
        ["transliteration", "translation"],
        ["asr", "txt-lang-detection"],
        ["tts"],
    ],
)
def test_valid_chain_passes(chain):
    assert validate_pipeline_chain(chain) is None


def test_tts_then_translation_body_is_pipeline_invalid_chain():
    body = {
        "pipelineTasks": [
            {"taskType": "tts", "config": {"language": {"sourceLanguage": "hi"}, "gender": "male"}},
            {"taskType": "translation", "config": {"language": {"sourceLanguage": "hi", "targetLanguage": "en"}}},
        ],
        "inputData": {"input": [{"source": "नमस्ते"}]},
    }
    error = refused(PipelineRequest, body)
    assert isinstance(error, RequestError) and error.code is ErrorCode.PIPELINE_INVALID_CHAIN
    assert "tts" in error.message and "audio" in error.message


def test_chain_whose_languages_do_not_meet_is_invalid():
    body = copy.deepcopy(payloads.BHASHINI_PIPELINE_ASR_TRANSLATION_TTS)
    body["pipelineTasks"][2]["config"]["language"]["sourceLanguage"] = "bn"  # translation produces hi
    error = refused(PipelineRequest, body)
    assert error.code is ErrorCode.PIPELINE_INVALID_CHAIN
    assert "reads language 'bn'" in error.message and "produces 'hi'" in error.message


def test_asr_pipeline_without_audio_input_is_request_invalid():
    body = copy.deepcopy(payloads.BHASHINI_PIPELINE_ASR_TRANSLATION_TTS)
    body["inputData"] = {"input": [{"source": "text instead of audio"}]}
    error = refused(PipelineRequest, body)
    assert error.code is ErrorCode.REQUEST_INVALID and "inputData.audio" in error.message


def test_unknown_task_type_in_body_is_request_invalid():
    body = copy.deepcopy(payloads.BHASHINI_PIPELINE_ASR_TRANSLATION_TTS)
    body["pipelineTasks"][1]["taskType"] = "ocr"
    error = refused(PipelineRequest, body)
    assert error.code is ErrorCode.REQUEST_INVALID and fields(error) == ["pipelineTasks[1]"]


def test_task_config_is_validated_for_its_task_type():
    body = copy.deepcopy(payloads.BHASHINI_PIPELINE_ASR_TRANSLATION_TTS)
    del body["pipelineTasks"][2]["config"]["gender"]
    error = refused(PipelineRequest, body)
    assert fields(error) == ["pipelineTasks[2].tts.config.gender"]
