"""ULCA config discovery (getModelsPipeline) in-process: the registry's services per task and language, the
chain's languages, the inference endpoint and key; ulcaApiKey read by the authorizer."""

from __future__ import annotations

from typing import Any

import pytest

from functions.authorizer.api_key_policy import api_key_of
from functions.catalog.handle_get_pipeline_config import handler
from speech_core.api.openapi import build_openapi
from tests.unit.api.conftest import call, rest_event

KEY = "spk_abcdefghijkl_" + "x" * 40
PATH = "/ulca/apis/v0/model/getModelsPipeline"


def discover(*tasks: dict[str, Any], path: str = PATH, headers: dict[str, str] | None = None):
    event = rest_event("POST", path, {"pipelineTasks": list(tasks), "pipelineRequestConfig": {"pipelineId": "p1"}})
    event["headers"] = {"ulcaApiKey": KEY, "userID": "u-123", **(headers or {})}
    event["requestContext"].update({"domainName": "api.example.com", "path": f"/prod{path}"})
    return call(handler, event)


def task(task_type: str, **language: str) -> dict[str, Any]:
    return {"taskType": task_type, **({"config": {"language": language}} if language else {})}


def services(body: dict[str, Any], index: int = 0) -> list[dict[str, Any]]:
    return body["pipelineResponseConfig"][index]["config"]


def test_the_authorizer_reads_ulcas_key_header() -> None:
    assert api_key_of({"ulcaApiKey": KEY, "userID": "u"}) == KEY
    assert api_key_of({"x-api-key": "a", "ulcaApiKey": "b"}) == "a"


@pytest.mark.parametrize("path", [PATH, "/ulca/apis/v1/model/getModelsPipeline"])
def test_asr_discovery_answers_in_the_ulca_shape(deps, path: str) -> None:
    status, body, _ = discover(task("asr"), path=path)
    assert status == 200, body
    endpoint = body["pipelineInferenceAPIEndPoint"]
    assert endpoint["callbackUrl"] == "https://api.example.com/prod/services/inference/pipeline"
    assert endpoint["inferenceApiKey"] == {"name": "Authorization", "value": KEY}
    assert body["pipelineResponseConfig"][0]["taskType"] == "asr"
    assert services(body) == [
        {
            "serviceId": "local/pocketsphinx-en-asr",
            "modelId": "asr",
            "language": {"sourceLanguage": "en", "sourceScriptCode": "Latn"},
            "domain": ["general"],
        }
    ]
    assert body["languages"] == [{"sourceLanguage": "en", "targetLanguageList": ["en"]}]


def test_translation_lists_each_pair_and_tts_its_voices(deps) -> None:
    status, body, _ = discover(task("translation", sourceLanguage="hi"), task("tts"))
    assert status == 200, body
    (hi_ur,) = services(body, 0)
    assert hi_ur["serviceId"] == "local/apertium-translation"
    assert (hi_ur["language"]["sourceLanguage"], hi_ur["language"]["targetLanguage"]) == ("hi", "ur")
    tts = services(body, 1)
    assert {entry["serviceId"] for entry in tts} == {"local/espeak-ng-tts"}
    assert all(entry["supportedVoices"] == ["male", "female"] for entry in tts)
    # hi -> ur by translation, and tts speaks ur: the chain reaches ur from hi
    assert body["languages"] == [{"sourceLanguage": "hi", "targetLanguageList": ["ur"]}]


def test_asr_translation_tts_chain_languages_follow_what_each_task_serves(deps) -> None:
    status, body, _ = discover(task("asr"), task("translation"), task("tts"))
    assert status == 200, body
    # local ASR is English only, en -> es is the one pair from en, and TTS speaks es
    assert body["languages"] == [{"sourceLanguage": "en", "targetLanguageList": ["es"]}]
    assert [t["taskType"] for t in body["pipelineResponseConfig"]] == ["asr", "translation", "tts"]


def test_an_unserved_language_answers_empty_lists_not_an_error(deps) -> None:
    status, body, _ = discover(task("asr", sourceLanguage="ta"))
    assert status == 200, body
    assert services(body) == [] and body["languages"] == []
    status, body, _ = discover(task("tts", sourceLanguage="klingon"))
    assert status == 200 and services(body) == []


@pytest.mark.parametrize(
    "tasks",
    [
        [task("ocr")],  # a task type this platform does not serve
        [task("tts"), task("translation")],  # audio cannot feed translation
        [task("translation"), task("asr")],
    ],
)
def test_unknown_tasks_and_impossible_chains_are_a_400(deps, tasks) -> None:
    status, body, _ = discover(*tasks)
    assert (status, body["error"]["code"]) == (400, "pipeline.invalid_chain")


def test_a_body_without_pipeline_tasks_is_a_400(deps) -> None:
    event = rest_event("POST", PATH, {"pipelineRequestConfig": {"pipelineId": "p"}})
    status, body, _ = call(handler, event)
    assert (status, body["error"]["code"]) == (400, "request.invalid")


def test_language_detection_lists_its_service_without_languages(deps) -> None:
    status, body, _ = discover(task("txt-lang-detection"))
    assert status == 200 and services(body) == [
        {"serviceId": "local/cld2-language-id", "modelId": "language_id", "domain": ["general"]}
    ]


def test_the_local_gateway_url_keeps_its_scheme_and_stage(deps) -> None:
    event = rest_event("POST", PATH, {"pipelineTasks": [task("asr")], "pipelineRequestConfig": {"pipelineId": "p"}})
    event["headers"] = {"x-api-key": KEY}
    event["requestContext"].update({"domainName": "127.0.0.1:4510", "path": f"/local{PATH}"})
    status, body, _ = call(handler, event)
    assert status == 200, body
    assert body["pipelineInferenceAPIEndPoint"]["callbackUrl"] == (
        "http://127.0.0.1:4510/local/services/inference/pipeline"
    )


def test_another_api_version_is_refused(deps) -> None:
    status, body, _ = discover(task("asr"), path="/ulca/apis/v2/model/getModelsPipeline")
    assert (status, body["error"]["code"]) == (400, "request.invalid")


def test_the_openapi_document_describes_discovery_and_the_ulca_key_header() -> None:
    spec = build_openapi()
    operation = spec["paths"]["/ulca/apis/{version}/model/getModelsPipeline"]["post"]
    assert {"ulcaApiKey": []} in operation["security"]
    assert "PipelineConfigResponse" in str(operation["responses"]["200"])
    (version,) = [p for p in operation["parameters"] if p["name"] == "version"]
    assert version["in"] == "path" and version["schema"]["pattern"] == "^v[01]$"
    assert spec["components"]["securitySchemes"]["ulcaApiKey"]["name"] == "ulcaApiKey"
