"""ULCA/Bhashini clients, unchanged, against the local cloud: config discovery, then inference with the endpoint
and key it returned, the way their published client code does it.

Given the local cloud is up (its local stage trusts the test CA at .local/audio-url-ca.pem for https audio links)
When a client asks getModelsPipeline with `userID` + `ulcaApiKey` and calls the returned `callbackUrl` with the
returned key header and serviceIds, in ULCA's own request fields,
Then ASR, TTS, translation, transliteration (with numSuggestions) and ASR→translation answer, each naming the
serviceId that served it; audio by https link (a real local TLS server) is fetched, and refused links get 4xx.
"""

from __future__ import annotations

import base64
import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile as sf

from local_cloud.cloud_lifecycle import DEV_TENANT
from speech_core.db.repositories import get_repositories
from speech_core.keys import KeyLimits, Scope, get_api_key_service
from tests.e2e.conftest import LocalCloud, b64
from tests.unit.outbound.tls_audio_server import AudioServer, tls_audio_server

REPO_ROOT = Path(__file__).resolve().parents[2]
#: where the local stage's AUDIO_URL_CA_BUNDLE points (cdk.json: stages.local.audio_urls.ca_bundle)
LOCAL_STAGE_CA = REPO_ROOT / ".local" / "audio-url-ca.pem"
TRANSCRIPT = "go forward ten meters"
PIPELINE_ID = "64392f96daac500b55c543cd"  # a Bhashini pipeline id, as clients ship it
USER_ID = "0c3e5a58f2d54ee8a7a3b7d0f5f8e3c1"


@pytest.fixture(scope="module")
def local_cloud(local_cloud: LocalCloud) -> LocalCloud:
    """The session's cloud with a key of this module's own (the dev tenant's, every scope), whose limits these
    tests cannot reach: the session's shared key may have spent its per-minute budget in earlier modules."""
    tenant = get_repositories(local_cloud.database_url).tenants.get_by_name(DEV_TENANT)
    assert tenant is not None
    limits = KeyLimits(per_minute=10_000, per_hour=100_000, per_day=1_000_000)
    created = get_api_key_service(local_cloud.database_url).create_key(
        tenant.id, "e2e-ulca", list(Scope), limits=limits
    )
    return dataclasses.replace(local_cloud, api_key=created.plaintext)


def discover(local_cloud: LocalCloud, *tasks: dict[str, Any]) -> dict[str, Any]:
    """The ULCA config call, with ULCA's headers only (no x-api-key)."""
    response = httpx.post(
        local_cloud.api_url + "ulca/apis/v0/model/getModelsPipeline",
        json={"pipelineTasks": list(tasks), "pipelineRequestConfig": {"pipelineId": PIPELINE_ID}},
        headers={"userID": USER_ID, "ulcaApiKey": local_cloud.api_key},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def service_for(config: dict[str, Any], task_type: str, source: str, target: str | None = None) -> str:
    """What client code does: the serviceId of the task's entry for the language (pair)."""
    for task in config["pipelineResponseConfig"]:
        if task["taskType"] != task_type:
            continue
        for entry in task["config"]:
            language = entry.get("language", {})
            if language.get("sourceLanguage") == source and (
                target is None or language.get("targetLanguage") == target
            ):
                return str(entry["serviceId"])
    raise AssertionError(f"no {task_type} service for {source}->{target} in {config}")


def infer(config: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
    """The compute call: callbackUrl, with the key header the config call named."""
    endpoint = config["pipelineInferenceAPIEndPoint"]
    key = endpoint["inferenceApiKey"]
    return httpx.post(endpoint["callbackUrl"], json=body, headers={key["name"]: key["value"]}, timeout=120)


def test_discovery_answers_where_and_with_what_key_to_call(local_cloud: LocalCloud) -> None:
    config = discover(local_cloud, {"taskType": "asr"}, {"taskType": "translation"}, {"taskType": "tts"})
    endpoint = config["pipelineInferenceAPIEndPoint"]
    assert endpoint["callbackUrl"] == local_cloud.api_url + "services/inference/pipeline"
    assert endpoint["inferenceApiKey"] == {"name": "Authorization", "value": local_cloud.api_key}
    assert [task["taskType"] for task in config["pipelineResponseConfig"]] == ["asr", "translation", "tts"]
    assert {"sourceLanguage": "en", "targetLanguageList": ["es"]} in config["languages"]
    # v1 answers the same
    v1 = httpx.post(
        local_cloud.api_url + "ulca/apis/v1/model/getModelsPipeline",
        json={"pipelineTasks": [{"taskType": "asr"}], "pipelineRequestConfig": {"pipelineId": PIPELINE_ID}},
        headers={"userID": USER_ID, "ulcaApiKey": local_cloud.api_key},
        timeout=60,
    )
    assert v1.status_code == 200 and v1.json()["pipelineResponseConfig"][0]["config"][0]["serviceId"]


def test_discovery_refuses_a_bad_key_and_impossible_chains(local_cloud: LocalCloud) -> None:
    url = local_cloud.api_url + "ulca/apis/v0/model/getModelsPipeline"
    body = {"pipelineTasks": [{"taskType": "asr"}], "pipelineRequestConfig": {"pipelineId": PIPELINE_ID}}
    assert httpx.post(url, json=body, headers={"ulcaApiKey": "spk_nope"}, timeout=60).status_code in (401, 403)
    assert httpx.post(url, json=body, timeout=60).status_code == 401
    bad = {"pipelineTasks": [{"taskType": "tts"}, {"taskType": "asr"}], "pipelineRequestConfig": {"pipelineId": "x"}}
    response = httpx.post(url, json=bad, headers={"ulcaApiKey": local_cloud.api_key}, timeout=60)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "pipeline.invalid_chain")


def test_asr_with_the_discovered_service(local_cloud: LocalCloud, goforward_wav: bytes) -> None:
    config = discover(local_cloud, {"taskType": "asr", "config": {"language": {"sourceLanguage": "en"}}})
    service_id = service_for(config, "asr", "en")
    body = {
        "pipelineTasks": [
            {
                "taskType": "asr",
                "config": {
                    "language": {"sourceLanguage": "en"},
                    "serviceId": service_id,
                    "audioFormat": "wav",
                    "samplingRate": 16000,
                },
            }
        ],
        "inputData": {"audio": [{"audioContent": b64(goforward_wav)}]},
    }
    response = infer(config, body)
    assert response.status_code == 200, response.text
    (asr,) = response.json()["pipelineResponse"]
    assert asr["output"][0]["source"] == TRANSCRIPT
    assert asr["config"]["serviceId"] == service_id == response.headers["X-Service-Id"]
    assert response.headers["X-Model-Version"] == "1"


def test_tts_with_the_discovered_service(local_cloud: LocalCloud) -> None:
    config = discover(local_cloud, {"taskType": "tts", "config": {"language": {"sourceLanguage": "hi"}}})
    service_id = service_for(config, "tts", "hi")
    body = {
        "pipelineTasks": [
            {
                "taskType": "tts",
                "config": {"language": {"sourceLanguage": "hi"}, "serviceId": service_id, "gender": "female"},
            }
        ],
        "inputData": {"input": [{"source": "नमस्ते, आप कैसे हैं?"}]},
    }
    response = infer(config, body)
    assert response.status_code == 200, response.text
    (tts,) = response.json()["pipelineResponse"]
    audio, rate = sf.read(io.BytesIO(base64.b64decode(tts["audio"][0]["audioContent"])))
    assert len(audio) / rate > 0.5
    assert tts["config"]["serviceId"] == service_id == response.headers["X-Service-Id"]
    assert response.headers["X-Model-Version"] in {"1", "2"}  # the A/B split of the local TTS


def test_translation_with_a_dhruva_catalogue_service_id(local_cloud: LocalCloud) -> None:
    config = discover(local_cloud, {"taskType": "translation"})
    language = {"sourceLanguage": "en", "targetLanguage": "es"}
    # a Dhruva client keeps sending its own catalogue's serviceId: the registry knows it as an alias
    body = {
        "pipelineTasks": [
            {
                "taskType": "translation",
                "config": {"language": language, "serviceId": "ai4bharat/indictrans-v2-all-gpu--t4"},
            }
        ],
        "inputData": {"input": [{"source": TRANSCRIPT}]},
    }
    response = infer(config, body)
    assert response.status_code == 200, response.text
    (translation,) = response.json()["pipelineResponse"]
    assert translation["output"][0] == {"source": TRANSCRIPT, "target": "Va de frente diez metros"}
    assert translation["config"]["serviceId"] == service_for(config, "translation", "en", "es")


def test_transliteration_gives_num_suggestions_for_a_word(local_cloud: LocalCloud) -> None:
    config = discover(local_cloud, {"taskType": "transliteration"})
    service_id = service_for(config, "transliteration", "en", "hi")
    language = {"sourceLanguage": "en", "targetLanguage": "hi"}
    word = {"language": language, "serviceId": service_id, "isSentence": False, "numSuggestions": 3}
    response = infer(
        config,
        {
            "pipelineTasks": [{"taskType": "transliteration", "config": word}],
            "inputData": {"input": [{"source": "bharat"}]},
        },
    )
    assert response.status_code == 200, response.text
    (words,) = response.json()["pipelineResponse"]
    assert words["output"][0]["target"] == ["भरत", "भरत्", "भारत"]
    # and on the task's own ULCA path, sentences give one rendering each
    sentence = httpx.post(
        local_cloud.api_url + "services/inference/transliteration",
        json={"input": [{"source": "namaste"}], "config": {"language": language, "isSentence": True}},
        headers={"Authorization": local_cloud.api_key},
        timeout=60,
    )
    assert sentence.status_code == 200, sentence.text
    assert sentence.json()["output"][0]["target"] == ["नमस्ते"]
    assert sentence.headers["X-Service-Id"] == service_id


def test_asr_then_translation_with_the_discovered_services(local_cloud: LocalCloud, goforward_wav: bytes) -> None:
    config = discover(
        local_cloud,
        {"taskType": "asr", "config": {"language": {"sourceLanguage": "en"}}},
        {"taskType": "translation", "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}}},
    )
    asr_id, nmt_id = service_for(config, "asr", "en"), service_for(config, "translation", "en", "es")
    body = {
        "pipelineTasks": [
            {
                "taskType": "asr",
                "config": {"language": {"sourceLanguage": "en"}, "serviceId": asr_id, "audioFormat": "wav"},
            },
            {
                "taskType": "translation",
                "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}, "serviceId": nmt_id},
            },
        ],
        "inputData": {"audio": [{"audioContent": b64(goforward_wav)}]},
        "controlConfig": {"dataTracking": False},
    }
    response = infer(config, body)
    assert response.status_code == 200, response.text
    asr, translation = response.json()["pipelineResponse"]
    assert asr["output"][0]["source"] == TRANSCRIPT
    assert translation["output"][0]["target"] == "Va de frente diez metros"
    assert response.headers["X-Service-Id"] == f"{asr_id},{nmt_id}"


# --- audio by https link ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def audio_site(goforward_wav: bytes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AudioServer]:
    """A real HTTPS server with the recording; its CA becomes the local stage's trusted test CA."""
    with tls_audio_server(goforward_wav, tmp_path_factory.mktemp("audio-site")) as server:
        LOCAL_STAGE_CA.parent.mkdir(exist_ok=True)
        LOCAL_STAGE_CA.write_bytes(server.ca_file.read_bytes())
        try:
            yield server
        finally:
            LOCAL_STAGE_CA.unlink(missing_ok=True)


def asr_by_link(local_cloud: LocalCloud, url: str, path: str = "services/inference/asr") -> httpx.Response:
    body = {"audio": [{"audioUri": url}], "config": {"language": {"sourceLanguage": "en"}, "audioFormat": "wav"}}
    return httpx.post(
        local_cloud.api_url + path, json=body, headers={"Authorization": local_cloud.api_key}, timeout=120
    )


def test_asr_of_audio_by_https_link(local_cloud: LocalCloud, audio_site: AudioServer) -> None:
    # localhost: the local stage allows loopback links; the name is resolved once and the checked address called
    response = asr_by_link(local_cloud, audio_site.url(host="localhost"))
    assert response.status_code == 200, response.text
    assert response.json()["output"][0]["source"] == TRANSCRIPT
    assert "/audio.wav" in audio_site.requested


def test_a_pipeline_reads_audio_by_link_too(local_cloud: LocalCloud, audio_site: AudioServer) -> None:
    config = discover(local_cloud, {"taskType": "asr"})
    body = {
        "pipelineTasks": [{"taskType": "asr", "config": {"language": {"sourceLanguage": "en"}}}],
        "inputData": {"audio": [{"audioUri": audio_site.url("/chunked.wav", host="localhost")}]},
    }
    response = infer(config, body)
    assert response.status_code == 200, response.text
    assert response.json()["pipelineResponse"][0]["output"][0]["source"] == TRANSCRIPT


@pytest.mark.parametrize(
    ("path_or_url", "status", "code"),
    [
        ("https://169.254.169.254/latest/meta-data/", 400, "audio.uri_refused"),  # metadata, even locally
        ("https://10.20.30.40/a.wav", 400, "audio.uri_refused"),  # private, even locally
        ("https://[::ffff:127.0.0.1]/a.wav", 400, "audio.uri_refused"),  # IPv4-mapped
        ("/redirect?to=https://192.168.0.10/a.wav", 400, "audio.uri_refused"),  # a redirect to a private address
        ("/loop/0", 400, "audio.uri_refused"),  # more than 3 redirects
        ("/big", 413, "audio.too_large"),
        ("/status/404", 400, "audio.uri_unreachable"),
        ("ftp://localhost/a.wav", 400, "request.invalid"),  # not a scheme audioUri takes at all
    ],
)
def test_refused_links_are_typed_4xx(
    local_cloud: LocalCloud, audio_site: AudioServer, path_or_url: str, status: int, code: str
) -> None:
    url = audio_site.url(path_or_url, host="localhost") if path_or_url.startswith("/") else path_or_url
    response = asr_by_link(local_cloud, url)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text


def test_a_slow_link_times_out_with_408(local_cloud: LocalCloud, audio_site: AudioServer) -> None:
    response = asr_by_link(local_cloud, audio_site.url("/slow", host="localhost"), path="v1/asr")
    assert (response.status_code, response.json()["error"]["code"]) == (408, "audio.uri_timeout"), response.text


def test_the_tenants_allow_list_of_hosts(local_cloud: LocalCloud, audio_site: AudioServer) -> None:
    tenants = get_repositories(local_cloud.database_url).tenants
    tenant = tenants.get_by_name(DEV_TENANT)
    assert tenant is not None
    try:
        # as an operator would (speech-admin tenant-settings): only media.example.org
        tenants.update_settings(
            tenant.id, default_language=tenant.default_language, audio_url_allowed_hosts=["media.example.org"]
        )
        refused = asr_by_link(local_cloud, audio_site.url(host="localhost"))
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "audio.uri_host_not_allowed")
        tenants.update_settings(
            tenant.id, default_language=tenant.default_language, audio_url_allowed_hosts=["localhost"]
        )
        assert asr_by_link(local_cloud, audio_site.url(host="localhost")).status_code == 200
    finally:
        tenants.update_settings(
            tenant.id,
            default_language=tenant.default_language,
            audio_url_allowed_hosts=list(tenant.audio_url_allowed_hosts),
        )
