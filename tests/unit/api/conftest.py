from __future__ import annotations

import base64
import io
import json
import uuid
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from speech_core.api import call_context
from tests.unit.api.fakes import fake_deps

TENANT_ID = uuid.UUID("11111111-1111-1111-1111-111111111111")
KEY_ID = uuid.UUID("22222222-2222-2222-2222-222222222222")


@pytest.fixture
def deps(monkeypatch):
    deps = fake_deps()
    monkeypatch.setattr(call_context, "deps_provider", lambda: deps)
    return deps


def authorizer_context(
    scopes: str = "asr,tts,translation,transliteration,language_id,pipeline,jobs,streaming", per_minute: int = 60
) -> dict[str, Any]:
    return {
        "tenantId": str(TENANT_ID),
        "tenantName": "acme",
        "keyId": str(KEY_ID),
        "keyPrefix": "spk_test",
        "scopes": scopes,
        "limitPerMinute": str(per_minute),
        "limitPerHour": "1000",
        "limitPerDay": "10000",
    }


def rest_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    authorizer: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "httpMethod": method,
        "path": path,
        "resource": path,
        "headers": {"content-type": "application/json"},
        "queryStringParameters": query,
        "isBase64Encoded": False,
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
        "requestContext": {
            "requestId": f"req-{uuid.uuid4().hex[:8]}",
            "stage": "v1",
            "authorizer": authorizer if authorizer is not None else authorizer_context(),
        },
    }


def wav_base64(seconds: float, rate: int = 16_000, channels: int = 1) -> str:
    samples = (0.1 * np.sin(np.linspace(0, 440 * 2 * np.pi * seconds, int(rate * seconds)))).astype(np.float32)
    if channels > 1:
        samples = np.stack([samples] * channels, axis=1)
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return base64.b64encode(buffer.getvalue()).decode()


class LambdaContext:
    function_name = "test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:test"
    aws_request_id = "lambda-req"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 29_000


def call(handler, event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = handler(event, LambdaContext())
    headers = dict(response.get("headers") or {})
    headers.update({name: ",".join(values) for name, values in (response.get("multiValueHeaders") or {}).items()})
    return response["statusCode"], json.loads(response["body"]), headers
