"""Catalog, usage, uploads and the OpenAPI document, in-process with fakes."""

from __future__ import annotations

from functions.catalog.handle_get_openapi import handler as openapi_handler
from functions.catalog.handle_get_usage import handler as usage_handler
from functions.catalog.handle_list_models import handler as models_handler
from functions.jobs.handle_create_upload import handler as upload_handler
from tests.unit.api.conftest import TENANT_ID, authorizer_context, call, rest_event


def test_models_lists_every_task_with_languages_voices_and_versions(deps):
    status, body, _ = call(models_handler, rest_event("GET", "/v1/models"))
    assert status == 200
    by_task = {m["task"]: m for m in body["models"]}
    assert {"asr", "asr_streaming", "tts", "translation", "transliteration", "language_id"} <= set(by_task)
    assert "hi" in by_task["tts"]["languages"] and by_task["tts"]["voices"] == ["male", "female"]
    assert [v["version"] for v in by_task["tts"]["versions"]] == ["1", "2"]
    assert "ur-hi" in by_task["translation"]["languagePairs"]


def test_usage_of_this_key(deps):
    status, body, _ = call(usage_handler, rest_event("GET", "/v1/usage"))
    assert status == 200
    assert body["keyPrefix"] == "spk_test" and body["days"][0]["requests"] == 3
    assert body["limits"] == {"per_minute": 60, "per_hour": 1000, "per_day": 10000}
    # a key with the jobs scope also sees the tenant's usage no key made (S3-drop jobs), apart from its own
    (keyless,) = body["keylessDays"]
    assert (keyless["task"], keyless["requests"], keyless["audioSeconds"]) == ("asr", 2, 1234.568)
    # a key without it sees only its own
    status, body, _ = call(usage_handler, rest_event("GET", "/v1/usage", authorizer=authorizer_context(scopes="asr")))
    assert status == 200 and body["days"][0]["requests"] == 3 and "keylessDays" not in body
    status, body, _ = call(
        usage_handler, rest_event("GET", "/v1/usage", query={"from": "2026-11-10", "to": "2026-11-01"})
    )
    assert (status, body["error"]["code"]) == (400, "request.invalid")


def test_upload_url_is_under_the_tenants_prefix(deps):
    status, body, _ = call(
        upload_handler,
        rest_event("POST", "/v1/uploads", {"fileName": "../../etc/passwd.wav", "contentType": "audio/wav"}),
    )
    assert status == 200, body
    assert body["audioUri"].startswith(f"s3://ingest/uploads/{TENANT_ID}/")
    assert ".." not in body["audioUri"] and body["headers"] == {"Content-Type": "audio/wav"}
    status, body, _ = call(
        upload_handler,
        rest_event("POST", "/v1/uploads", {"fileName": "a.wav"}, authorizer=authorizer_context(scopes="tts")),
    )
    assert (status, body["error"]["code"]) == (403, "auth.insufficient_scope")


def test_openapi_document_covers_every_route_with_keys_and_error_bodies(deps):
    status, spec, _ = call(openapi_handler, rest_event("GET", "/v1/openapi.json"))
    assert status == 200 and spec["openapi"].startswith("3.")
    expected = {
        "/v1/asr",
        "/v1/tts",
        "/v1/nmt",
        "/v1/transliterate",
        "/v1/detect-language",
        "/v1/pipeline",
        "/services/inference/asr",
        "/services/inference/tts",
        "/services/inference/translation",
        "/services/inference/transliteration",
        "/services/inference/pipeline",
        "/v1/models",
        "/v1/usage",
        "/v1/health",
        "/v1/openapi.json",
        "/v1/asyncapi.json",
        "/v1/uploads",
        "/v1/jobs",
        "/v1/jobs/{jobId}",
        "/v1/jobs/{jobId}/cancel",
        "/v1/jobs/{jobId}/retry",
        "/v1/jobs/{jobId}/transcript",
        "/ulca/apis/{version}/model/getModelsPipeline",
    }
    assert set(spec["paths"]) == expected
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            assert "422" not in operation["responses"]
            assert ("security" in operation) == (path != "/v1/health")
    assert spec["paths"]["/v1/asr"]["post"]["responses"]["429"]["content"]["application/json"]["schema"]


def test_unknown_route_is_a_json_404(deps):
    status, body, _ = call(models_handler, rest_event("GET", "/v1/nothing-here"))
    assert (status, body["error"]["code"]) == (404, "resource.not_found")


def test_the_asyncapi_document_is_served_by_the_openapi_function(deps):
    from speech_core.contracts.streaming_asyncapi import build_asyncapi

    status, document, _ = call(openapi_handler, rest_event("GET", "/v1/asyncapi.json"))
    assert status == 200 and document == build_asyncapi() and document["asyncapi"] == "3.0.0"
