"""Typed errors from API answers (fake transport), the CLI's exit code per error class, and where the client's
configuration comes from (arguments > environment > profile file)."""

from __future__ import annotations

import httpx
import pytest

from speech_client import (
    ApiError,
    AuthenticationError,
    ClientConfig,
    ConfigurationError,
    ConflictError,
    ExitCode,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    SpeechClient,
)
from speech_client.errors import api_error


@pytest.mark.parametrize(
    ("status", "code", "cls", "exit_code"),
    [
        (400, "request.invalid", InvalidRequestError, ExitCode.INVALID_REQUEST),
        (413, "audio.too_long", InvalidRequestError, ExitCode.INVALID_REQUEST),
        (401, "auth.missing_key", AuthenticationError, ExitCode.AUTHENTICATION),
        (403, "auth.scope_missing", PermissionDeniedError, ExitCode.AUTHENTICATION),
        (404, "resource.not_found", NotFoundError, ExitCode.NOT_FOUND),
        (409, "job.already_finished", ConflictError, ExitCode.INVALID_REQUEST),
        (429, "rate.limited", RateLimitedError, ExitCode.RATE_LIMITED),
        (500, "internal.error", ServerError, ExitCode.SERVER),
        (504, "model.timeout", ServerError, ExitCode.SERVER),
    ],
)
def test_an_error_answer_becomes_its_typed_exception_with_code_message_and_request_id(status, code, cls, exit_code):
    # Given the API answers an error body
    body = {"error": {"code": code, "message": "what went wrong", "details": {"field": "x"}, "requestId": "r-1"}}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    config = ClientConfig("http://api.test/", "k", retry=__import__("speech_client").RetryPolicy(max_attempts=1))
    client = SpeechClient(
        config=config, http=httpx.Client(base_url=config.api_url, transport=httpx.MockTransport(handler))
    )
    # When any call meets it
    with pytest.raises(cls) as raised:
        client.models()
    # Then the exception carries the API's words, and the class its exit code
    error = raised.value
    assert (error.status, error.code, error.message, error.request_id) == (status, code, "what went wrong", "r-1")
    assert error.details == {"field": "x"} and error.exit_code == exit_code
    assert "r-1" in str(error) and code in str(error)


def test_an_answer_that_is_not_the_apis_error_shape_still_gets_a_typed_error():
    # e.g. a gateway's own {"message": "Forbidden"}, or an HTML page, with the request id from the header
    gateway = api_error(403, {"message": "Forbidden"}, "hdr-id")
    assert isinstance(gateway, PermissionDeniedError) and gateway.code == "http.403" and gateway.message == "Forbidden"
    assert gateway.request_id == "hdr-id"
    html = api_error(502, None)
    assert isinstance(html, ServerError) and html.code == "http.502"
    assert isinstance(api_error(418, {}), ApiError)


def test_arguments_win_over_the_environment_which_wins_over_the_profile(tmp_path):
    profile = tmp_path / "config.toml"
    profile.write_text(
        '[default]\napi_url = "http://from-file/"\napi_key = "file-key"\nwebsocket_url = "ws://file"\n'
        '[local]\napi_url = "http://local-profile/x"\napi_key = "local-key"\ntimeout_s = 5\n'
    )
    env = {"SPEECH_CONFIG_FILE": str(profile)}
    assert ClientConfig.load(environ=env).api_url == "http://from-file/"
    assert ClientConfig.load(environ=env).websocket_url == "ws://file"
    env_set = env | {"SPEECH_API_URL": "http://from-env", "SPEECH_API_KEY": "env-key"}
    assert (ClientConfig.load(environ=env_set).api_url, ClientConfig.load(environ=env_set).api_key) == (
        "http://from-env/",
        "env-key",
    )
    assert ClientConfig.load("http://arg", environ=env_set).api_url == "http://arg/"
    local = ClientConfig.load(profile="local", environ=env)
    assert (local.api_url, local.api_key, local.timeout_s) == ("http://local-profile/x/", "local-key", 5.0)
    assert ClientConfig.load(environ=env | {"SPEECH_PROFILE": "local"}).api_key == "local-key"


def test_missing_or_broken_configuration_is_a_configuration_error(tmp_path):
    nothing = {"SPEECH_CONFIG_FILE": str(tmp_path / "absent.toml")}
    with pytest.raises(ConfigurationError, match="SPEECH_API_URL"):
        ClientConfig.load(environ=nothing)
    with pytest.raises(ConfigurationError, match="SPEECH_API_KEY"):
        ClientConfig.load("http://x", environ=nothing)
    with pytest.raises(ConfigurationError, match="no profile file"):
        ClientConfig.load(profile="prod", environ=nothing)
    broken = tmp_path / "broken.toml"
    broken.write_text("[default\napi_url=")
    with pytest.raises(ConfigurationError, match="cannot read"):
        ClientConfig.load(environ={"SPEECH_CONFIG_FILE": str(broken)})
    with pytest.raises(ConfigurationError, match="http"):
        ClientConfig("ftp://x", "k")
    assert ConfigurationError("x").exit_code == ExitCode.CONFIGURATION
