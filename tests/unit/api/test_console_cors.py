"""CORS for exactly the stage's console origin (CONSOLE_ORIGIN), on answers and refusals alike."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from speech_core.api.http_app import build_app
from speech_core.api.routes.catalog import router
from speech_core.settings import read_settings
from tests.unit.api.conftest import LambdaContext, authorizer_context, rest_event

CONSOLE = "http://127.0.0.1:8780"


@pytest.fixture
def console_origin(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CONSOLE_ORIGIN", CONSOLE)
    read_settings.cache_clear()
    yield CONSOLE
    read_settings.cache_clear()


def _get_usage(origin: str | None, authorizer: dict[str, str] | None = None) -> dict:
    event = rest_event("GET", "/v1/usage", authorizer=authorizer)
    if origin:
        event["headers"]["origin"] = origin
    return build_app(router).resolve(event, LambdaContext())


def _headers(answer: dict) -> dict[str, str]:
    merged = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        merged[name.lower()] = ",".join(values)
    return merged


def test_the_console_origin_is_allowed_and_the_request_id_exposed(deps, console_origin: str) -> None:
    answer = _get_usage(console_origin)
    assert answer["statusCode"] == 200
    headers = _headers(answer)
    assert headers["access-control-allow-origin"] == console_origin
    assert "x-amzn-RequestId" in headers["access-control-expose-headers"]
    # the console's key page shows the key's scopes from the same answer
    assert json.loads(answer["body"])["scopes"] == sorted(authorizer_context()["scopes"].split(","))


def test_an_error_answer_carries_cors_too_so_the_console_can_show_its_code(deps, console_origin: str) -> None:
    # Given a request whose authorizer context is missing (a refused call: 401 auth.missing_key)
    answer = _get_usage(console_origin, authorizer={})
    assert answer["statusCode"] == 401
    assert _headers(answer)["access-control-allow-origin"] == console_origin


def test_another_origin_gets_no_cors_headers(deps, console_origin: str) -> None:
    headers = _headers(_get_usage("https://evil.example"))
    assert "access-control-allow-origin" not in headers


def test_no_console_origin_means_no_cors_at_all(deps, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSOLE_ORIGIN", raising=False)
    read_settings.cache_clear()
    headers = _headers(_get_usage(CONSOLE))
    assert "access-control-allow-origin" not in headers
