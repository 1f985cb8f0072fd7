"""Responses serialise to the ULCA shape clients read; pipeline responses parse back by taskType."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from speech_core.contracts import (
    LANGUAGES,
    AsrOutput,
    AsrResponse,
    AudioOutput,
    LanguageIdOutput,
    LanguageIdResponse,
    LanguagePrediction,
    NBestToken,
    PipelineResponse,
    Segment,
    TranslationOutput,
    TranslationRequest,
    TranslationResponse,
    TtsResponse,
    TtsResponseConfig,
    parse_request,
)


def test_asr_response_with_segments_and_detected_language():
    response = AsrResponse(
        output=[
            AsrOutput(
                source="नमस्ते दुनिया",
                segments=[
                    Segment(start=0.0, end=0.8, text="नमस्ते", confidence=0.93),
                    Segment(start=0.8, end=1.5, text="दुनिया"),
                ],
                n_best_tokens=[NBestToken(word="नमस्ते", tokens=[{"नमस्ते": 0.9}, {"नमस्ते.": 0.1}])],
                detected_language="hi",
            )
        ]
    )
    assert response.to_wire() == {
        "taskType": "asr",
        "output": [
            {
                "source": "नमस्ते दुनिया",
                "nBestTokens": [{"word": "नमस्ते", "tokens": [{"नमस्ते": 0.9}, {"नमस्ते.": 0.1}]}],
                "segments": [
                    {"start": 0.0, "end": 0.8, "text": "नमस्ते", "confidence": 0.93},
                    {"start": 0.8, "end": 1.5, "text": "दुनिया"},
                ],
                "detectedLanguage": "hi",
            }
        ],
    }


@pytest.mark.parametrize("start,end,confidence", [(2.0, 1.0, None), (-1.0, 1.0, None), (0.0, 1.0, 1.5)])
def test_impossible_segment_is_rejected(start, end, confidence):
    with pytest.raises(ValidationError):
        Segment(start=start, end=end, text="x", confidence=confidence)


def test_tts_response_shape():
    response = TtsResponse(
        audio=[AudioOutput(audio_content="UklGRg==")],
        config=TtsResponseConfig(language={"source_language": "ta"}, audio_format="wav", sampling_rate=22050),
    )
    assert response.to_wire() == {
        "taskType": "tts",
        "audio": [{"audioContent": "UklGRg=="}],
        "config": {
            "language": {"sourceLanguage": "ta"},
            "audioFormat": "wav",
            "samplingRate": 22050,
            "encoding": "base64",
        },
    }


def test_pipeline_response_parses_back_by_task_type():
    wire = PipelineResponse(
        pipeline_response=[
            AsrResponse(output=[AsrOutput(source="hello")]),
            TranslationResponse(output=[TranslationOutput(source="hello", target="hola")]),
            LanguageIdResponse(
                output=[
                    LanguageIdOutput(
                        source="hola", lang_prediction=[LanguagePrediction(lang_code="es", lang_score=0.97)]
                    )
                ]
            ),
        ]
    ).to_wire()
    task_types = [item["taskType"] for item in wire["pipelineResponse"]]
    assert task_types == ["asr", "translation", "txt-lang-detection"]
    back = PipelineResponse.model_validate(wire)
    assert isinstance(back.pipeline_response[1], TranslationResponse)
    assert back.pipeline_response[1].output[0].target == "hola"
    assert back.pipeline_response[2].output[0].lang_prediction[0].lang_code == "es"


@given(code=st.sampled_from(sorted(LANGUAGES)), data=st.data())
def test_every_known_language_parses_in_any_case(code, data):
    target = "en" if code != "en" else "hi"
    spelled = "".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in code)
    request = parse_request(
        TranslationRequest,
        {
            "input": [{"source": "x"}],
            "config": {"language": {"sourceLanguage": spelled, "targetLanguage": target}},
        },
    )
    assert request.config.language.source_language == code


@given(texts=st.lists(st.text(min_size=1, max_size=200).filter(str.strip), min_size=1, max_size=10))
def test_translation_request_round_trips_any_text(texts):
    body = {
        "input": [{"source": t} for t in texts],
        "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
    }
    request = parse_request(TranslationRequest, body)
    assert parse_request(TranslationRequest, request.to_wire()) == request
    assert [item.source for item in request.input] == texts
