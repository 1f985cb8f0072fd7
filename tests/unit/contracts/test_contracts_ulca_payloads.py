"""Bodies that Dhruva and Bhashini clients send today parse unchanged, and answer in ULCA shape."""

from __future__ import annotations

import copy
import json

import pytest

from speech_core.contracts import (
    AsrRequest,
    AudioFormat,
    Gender,
    LanguageIdRequest,
    PipelineRequest,
    PostProcessor,
    PreProcessor,
    TaskType,
    TranscriptionFormatValue,
    TranslationRequest,
    TransliterationRequest,
    TtsRequest,
    parse_request,
)
from tests.unit.contracts import ulca_payloads as payloads


def test_dhruva_asr_payload_parses_unchanged():
    request = parse_request(AsrRequest, payloads.DHRUVA_ASR)
    config = request.config
    assert config.service_id == "ai4bharat/conformer-hi-gpu--t4"
    assert config.language.source_language == "hi"
    assert config.language.source_script_code is None  # Dhruva's "" default means "not given"
    assert config.audio_format is AudioFormat.WAV
    assert config.sampling_rate == 16000
    assert config.pre_processors == [PreProcessor.VAD]
    assert config.post_processors == [PostProcessor.ITN, PostProcessor.PUNCTUATION]
    assert config.transcription_format.value is TranscriptionFormatValue.TRANSCRIPT
    assert request.audio[0].audio_content == payloads.AUDIO_B64
    assert request.control_config.data_tracking is True


def test_dhruva_asr_payload_round_trips_through_the_wire():
    request = parse_request(AsrRequest, payloads.DHRUVA_ASR)
    again = parse_request(AsrRequest, request.to_wire())
    assert again == request
    assert request.to_wire()["config"]["transcriptionFormat"] == {"value": "transcript"}


def test_raw_json_body_parses_like_the_dict():
    body = json.dumps(payloads.DHRUVA_ASR).encode()
    assert parse_request(AsrRequest, body) == parse_request(AsrRequest, payloads.DHRUVA_ASR)


def test_chitralekha_audio_uri_and_srt_parse():
    request = parse_request(AsrRequest, payloads.CHITRALEKHA_ASR_SRT)
    assert request.audio[0].audio_uri == "https://example.org/media/talk.wav"
    assert request.audio[0].audio_content is None
    assert request.config.transcription_format.value is TranscriptionFormatValue.SRT
    assert request.config.audio_format is AudioFormat.WAV  # ULCA default


def test_unknown_extra_fields_are_ignored_not_rejected():
    body = copy.deepcopy(payloads.DHRUVA_ASR)
    body["someNewField"] = {"x": 1}
    body["config"]["domain"] = ["general"]
    body["config"]["language"]["dialect"] = "standard"
    body["audio"][0]["fileName"] = "a.wav"
    request = parse_request(AsrRequest, body)
    assert "someNewField" not in request.to_wire()
    assert "domain" not in request.to_wire()["config"]


def test_client_variants_null_processors_bare_format_and_upper_case_language():
    body = copy.deepcopy(payloads.DHRUVA_ASR)
    body["config"].update(postProcessors=None, preProcessors=[None], transcriptionFormat="webvtt")
    body["config"]["language"] = {"sourceLanguage": "HI", "sourceScriptCode": "deva"}
    config = parse_request(AsrRequest, body).config
    assert config.post_processors == [] and config.pre_processors == []
    assert config.transcription_format.value is TranscriptionFormatValue.WEBVTT
    assert (config.language.source_language, config.language.source_script_code) == ("hi", "Deva")


def test_snake_case_names_populate_in_python():
    request = AsrRequest(
        audio=[{"audio_uri": "s3://bucket/incoming/a.flac"}],
        config={"language": {"source_language": "en"}, "audio_format": "flac", "best_token_count": 2},
    )
    assert request.to_wire()["config"]["bestTokenCount"] == 2
    assert request.to_wire()["audio"] == [{"audioUri": "s3://bucket/incoming/a.flac"}]


def test_dhruva_tts_payload_parses():
    request = parse_request(TtsRequest, payloads.DHRUVA_TTS)
    assert request.config.gender is Gender.FEMALE
    assert request.config.sampling_rate == 22050
    assert request.input[0].source == "नमस्ते, आप कैसे हैं?"


def test_dhruva_translation_payload_parses():
    request = parse_request(TranslationRequest, payloads.DHRUVA_TRANSLATION)
    language = request.config.language
    assert (language.source_language, language.target_language) == ("en", "hi")
    assert (language.source_script_code, language.target_script_code) == ("Latn", "Deva")
    assert [item.source for item in request.input] == ["How are you?", "The weather is pleasant today."]


def test_dhruva_transliteration_payload_parses():
    request = parse_request(TransliterationRequest, payloads.DHRUVA_TRANSLITERATION)
    assert request.config.is_sentence is False and request.config.num_suggestions == 5


def test_language_id_payload_parses_without_language():
    request = parse_request(LanguageIdRequest, payloads.BHASHINI_LANGUAGE_ID)
    assert request.config.service_id == "bhashini/indiclid" and request.config.language is None


def test_bhashini_pipeline_payload_parses_into_typed_tasks():
    request = parse_request(PipelineRequest, payloads.BHASHINI_PIPELINE_ASR_TRANSLATION_TTS)
    assert [TaskType(task.task_type) for task in request.pipeline_tasks] == [
        TaskType.ASR,
        TaskType.TRANSLATION,
        TaskType.TTS,
    ]
    asr, translation, tts = request.pipeline_tasks
    assert asr.config.audio_format is AudioFormat.MP3
    assert translation.config.language.target_language == "hi"
    assert tts.config.gender is Gender.MALE
    assert request.input_data.audio is not None and request.input_data.input is None


@pytest.mark.parametrize(
    "chain",
    [
        ["asr"],
        ["translation"],
        ["tts"],
        ["asr", "translation"],
        ["translation", "tts"],
        ["transliteration", "translation"],
        ["asr", "transliteration", "translation", "tts"],
        ["translation", "txt-lang-detection"],
    ],
)
def test_valid_chains_parse(chain):
    configs = {
        "asr": {"language": {"sourceLanguage": "hi"}},
        "translation": {"language": {"sourceLanguage": "hi", "targetLanguage": "en"}},
        # romanised Hindi to Devanagari: same language, another script
        "transliteration": {
            "language": {
                "sourceLanguage": "hi",
                "sourceScriptCode": "Latn",
                "targetLanguage": "hi",
                "targetScriptCode": "Deva",
            }
        },
        "tts": {"language": {"sourceLanguage": "en" if "translation" in chain else "hi"}, "gender": "female"},
        "txt-lang-detection": {},
    }
    body = {
        "pipelineTasks": [{"taskType": task, "config": configs[task]} for task in chain],
        "inputData": {"audio": [{"audioContent": payloads.AUDIO_B64}]}
        if chain[0] == "asr"
        else {"input": [{"source": "text"}]},
    }
    assert len(parse_request(PipelineRequest, body).pipeline_tasks) == len(chain)
