"""The settings reader follows pydantic-settings' rules for the platform's flat settings."""

from __future__ import annotations

from typing import Literal

import pytest

from speech_core.environment_settings import EnvironmentSettings, SecretStr, SettingsError, setting


class Example(EnvironmentSettings, env_prefix="EX_"):
    url: str
    token: SecretStr | None = None
    size: int = setting(default=2, ge=1, le=20)
    timeout_s: float = setting(default=25.0, gt=0)
    enabled: bool = False
    protocol: Literal["grpc", "http"] = "grpc"


def test_fields_are_read_from_prefixed_variables_case_insensitively(monkeypatch):
    monkeypatch.setenv("ex_url", "host:1")
    monkeypatch.setenv("EX_TOKEN", "s3cret")
    monkeypatch.setenv("EX_SIZE", " 7 ")
    monkeypatch.setenv("EX_TIMEOUT_S", "1.5")
    monkeypatch.setenv("EX_ENABLED", "Yes")
    monkeypatch.setenv("EX_PROTOCOL", "http")
    settings = Example()
    assert (settings.url, settings.size, settings.timeout_s, settings.enabled, settings.protocol) == (
        "host:1",
        7,
        1.5,
        True,
        "http",
    )
    assert settings.token is not None and settings.token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_defaults_and_constructor_arguments_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("EX_URL", "from-env")
    settings = Example(url="given", size=3)
    assert (settings.url, settings.size, settings.timeout_s, settings.enabled, settings.token) == (
        "given",
        3,
        25.0,
        False,
        None,
    )
    assert Example.environment_variables() == {
        "EX_URL": True,
        "EX_TOKEN": False,
        "EX_SIZE": False,
        "EX_TIMEOUT_S": False,
        "EX_ENABLED": False,
        "EX_PROTOCOL": False,
    }


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("EX_SIZE", "0"),
        ("EX_SIZE", "21"),
        ("EX_SIZE", "2.5"),
        ("EX_TIMEOUT_S", "0"),
        ("EX_ENABLED", "maybe"),
        ("EX_PROTOCOL", "ftp"),
        ("EX_SIZE", ""),
    ],
)
def test_bad_values_name_their_variable(monkeypatch, variable, value):
    monkeypatch.setenv("EX_URL", "host:1")
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        Example()


def test_a_missing_required_variable_is_named(monkeypatch):
    monkeypatch.delenv("EX_URL", raising=False)
    with pytest.raises(SettingsError, match="EX_URL: required"):
        Example()


def test_settings_are_read_only(monkeypatch):
    settings = Example(url="x")
    with pytest.raises(AttributeError):
        settings.url = "y"  # type: ignore[misc]
