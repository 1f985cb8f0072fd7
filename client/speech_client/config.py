"""Where the client finds the API: arguments first, then the environment, then a profile file.

Environment: `SPEECH_API_URL`, `SPEECH_API_KEY`, `SPEECH_WS_URL` (the WebSocket API, for streaming),
`SPEECH_PROFILE` (which profile to read) and `SPEECH_CONFIG_FILE` (default `~/.config/speech/config.toml`).

A profile file is TOML with one table per profile::

    [default]
    api_url = "https://abc.execute-api.ap-south-1.amazonaws.com/prod/"
    api_key = "spk_..."
    websocket_url = "wss://def.execute-api.ap-south-1.amazonaws.com/prod"

    [local]
    api_url = "http://127.0.0.1:4510/local/"
    api_key = "spk_..."
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigurationError
from .retry_policy import RetryPolicy

DEFAULT_CONFIG_FILE = Path("~/.config/speech/config.toml")
DEFAULT_PROFILE = "default"
#: seconds for one HTTP call; API Gateway itself gives up after 29 s, so 60 s leaves room for the upload
DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs to reach the API."""

    api_url: str
    api_key: str
    websocket_url: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if not self.api_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"the API URL must start with http:// or https://, not {self.api_url!r}")
        if self.websocket_url and not self.websocket_url.startswith(("ws://", "wss://")):
            raise ConfigurationError(f"the WebSocket URL must start with ws:// or wss://, not {self.websocket_url!r}")
        # relative paths ("v1/asr") resolve under the stage path only when the base ends with "/"
        object.__setattr__(self, "api_url", self.api_url.rstrip("/") + "/")

    @classmethod
    def load(
        cls,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        websocket_url: str | None = None,
        profile: str | None = None,
        config_file: str | Path | None = None,
        timeout_s: float | None = None,
        retry: RetryPolicy | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """Arguments win over the environment, which wins over the profile file."""
        env = os.environ if environ is None else environ
        profile_name = profile or env.get("SPEECH_PROFILE") or DEFAULT_PROFILE
        path = Path(config_file or env.get("SPEECH_CONFIG_FILE") or DEFAULT_CONFIG_FILE).expanduser()
        stored = _read_profile(path, profile_name, required=bool(profile or env.get("SPEECH_PROFILE")))
        url = api_url or env.get("SPEECH_API_URL") or stored.get("api_url")
        key = api_key or env.get("SPEECH_API_KEY") or stored.get("api_key")
        ws_url = websocket_url or env.get("SPEECH_WS_URL") or stored.get("websocket_url")
        if not url:
            raise ConfigurationError(f"no API URL: pass one, set SPEECH_API_URL, or put api_url in {path}")
        if not key:
            raise ConfigurationError(f"no API key: pass one, set SPEECH_API_KEY, or put api_key in {path}")
        stored_timeout = stored.get("timeout_s", DEFAULT_TIMEOUT_S)
        if not isinstance(stored_timeout, int | float) or stored_timeout <= 0:
            raise ConfigurationError(f"timeout_s in {path} must be a positive number of seconds")
        timeout = timeout_s if timeout_s is not None else float(stored_timeout)
        return cls(str(url), str(key), str(ws_url) if ws_url else None, timeout, retry or RetryPolicy())


def _read_profile(path: Path, name: str, *, required: bool) -> dict[str, object]:
    if not path.is_file():
        if required:
            raise ConfigurationError(f"profile {name!r} asked for, but there is no profile file at {path}")
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"cannot read the profile file {path}: {error}") from error
    table = document.get(name)
    if table is None:
        if required:
            raise ConfigurationError(f"no profile {name!r} in {path} (it has: {', '.join(sorted(document))})")
        return {}
    if not isinstance(table, dict):
        raise ConfigurationError(f"profile {name!r} in {path} is not a table")
    return table
