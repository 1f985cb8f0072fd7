"""The REST API played from the template: authorizer outcomes, caching, proxy event, limits."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.integration.local_cloud.fixture_app import AUTHORIZER_TTL_S, THROTTLE_BURST

pytestmark = pytest.mark.integration


def test_missing_key_is_401_without_calling_the_function(outputs: dict[str, str]) -> None:
    response = httpx.get(outputs["ApiUrl"] + "items/1", timeout=30)
    assert response.status_code == 401
    # the body comes from the template's GatewayResponse (UNAUTHORIZED)
    error = response.json()["error"]
    assert error["code"] == "auth.missing_key" and error["message"] == "Unauthorized"
    assert error["requestId"] == response.headers["x-amzn-RequestId"]


def test_authorizer_deny_is_403(outputs: dict[str, str]) -> None:
    response = httpx.get(outputs["ApiUrl"] + "items/1", headers={"x-api-key": "deny"}, timeout=30)
    assert response.status_code == 403
    assert "explicit deny" in response.json()["Message"]


def test_authorizer_raising_unauthorized_is_401(outputs: dict[str, str]) -> None:
    response = httpx.get(outputs["ApiUrl"] + "items/1", headers={"x-api-key": "invalid"}, timeout=30)
    assert response.status_code == 401


def test_allow_passes_authorizer_context_and_template_environment(outputs: dict[str, str]) -> None:
    response = httpx.get(outputs["ApiUrl"] + "items/42", headers={"x-api-key": "alice"}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["authorizer"]["tenantId"] == "tenant-alice"
    assert body["authorizer"]["principalId"] == "user-alice"
    assert body["pathParameters"] == {"id": "42"}
    assert body["greeting"] == "hello from the template"
    # a Ref to a queue resolves to the queue LocalStack created
    assert body["queueUrl"] == outputs["WorkQueueUrl"]
    assert 0 < body["remainingMs"] <= 5000


def test_authorizer_result_is_cached_for_its_ttl_then_expires(outputs: dict[str, str]) -> None:
    # Given a fresh key: the first request runs the authorizer
    headers = {"x-api-key": f"cache-{time.time_ns()}"}
    first = httpx.get(outputs["ApiUrl"] + "items/1", headers=headers, timeout=30).json()["authorizer"]
    # When the same key comes back within the TTL, the cached context is used (no new authorizer call)
    second = httpx.get(outputs["ApiUrl"] + "items/1", headers=headers, timeout=30).json()["authorizer"]
    assert second["authorizerCalls"] == first["authorizerCalls"]
    # ...and, as on AWS, the cached policy (it allows only items/1's method ARN) is applied to other methods
    assert httpx.get(outputs["ApiUrl"] + "items/2", headers=headers, timeout=30).status_code == 403
    # Then after the TTL the authorizer runs again
    time.sleep(AUTHORIZER_TTL_S + 0.5)
    third = httpx.get(outputs["ApiUrl"] + "items/2", headers=headers, timeout=30).json()["authorizer"]
    assert third["authorizerCalls"] > first["authorizerCalls"]


def test_unknown_route_and_method_are_403_missing_token(outputs: dict[str, str]) -> None:
    assert httpx.get(outputs["ApiUrl"] + "nowhere", timeout=30).status_code == 403
    wrong_method = httpx.post(outputs["ApiUrl"] + "items/1", headers={"x-api-key": "a"}, timeout=30)
    assert wrong_method.status_code == 403
    assert wrong_method.json() == {"message": "Missing Authentication Token"}


def test_binary_media_type_round_trip(outputs: dict[str, str]) -> None:
    payload = bytes(range(256)) * 4
    response = httpx.post(
        outputs["ApiUrl"] + "audio",
        content=payload,
        headers={"Content-Type": "audio/wav", "Accept": "audio/wav"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.content == payload[::-1]


def test_payload_over_10_mb_is_413(outputs: dict[str, str]) -> None:
    response = httpx.post(outputs["ApiUrl"] + "open", content=b"x" * (10 * 1024 * 1024 + 1), timeout=60)
    assert response.status_code == 413


def test_integration_timeout_is_504(outputs: dict[str, str]) -> None:
    # /fast has a 1 s integration timeout in the template; the function sleeps 2 s (its own timeout is 5 s)
    response = httpx.get(outputs["ApiUrl"] + "fast", params={"sleep": "2"}, timeout=30)
    assert response.status_code == 504


def test_function_timeout_is_502(outputs: dict[str, str]) -> None:
    # the function's configured timeout (5 s) ends the invocation; API Gateway answers 502
    response = httpx.get(outputs["ApiUrl"] + "open", params={"sleep": "6"}, timeout=60)
    assert response.status_code == 502


def test_stage_throttle_answers_429_past_the_burst(outputs: dict[str, str]) -> None:
    # the stage allows THROTTLE_BURST requests at once, refilled at 1 per second (MOCK integration: no function)
    statuses = [httpx.get(outputs["ThrottledApiUrl"], timeout=30).status_code for _ in range(THROTTLE_BURST + 3)]
    assert statuses[:THROTTLE_BURST] == [200] * THROTTLE_BURST
    assert statuses.count(429) >= 2
