"""What `make up` and `make demo` print for people (local_cloud.cloud_lifecycle.print_endpoints): the web
console's URL first, then the API URLs, the key, and how to point the CLI at them."""

from __future__ import annotations

import pytest

from local_cloud.cloud_lifecycle import LocalCloudState, print_endpoints


def _state(console_url: str | None) -> LocalCloudState:
    return LocalCloudState(
        database_url="postgresql://postgres@127.0.0.1:5432/speech",
        outputs={"RestApiUrl": "http://127.0.0.1:4001/local/", "WebSocketUrl": "ws://127.0.0.1:4002/local"},
        api_key="spk_abcdefghijkl_" + "x" * 40,
        console_url=console_url,
    )


def test_the_console_url_is_printed_first(capsys: pytest.CaptureFixture[str]) -> None:
    print_endpoints(_state("http://127.0.0.1:4003/"))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[0] == "Local cloud is up."
    assert lines[1].split() == ["Web", "console", "http://127.0.0.1:4003/", "(paste", "the", "API", "key", "below)"]
    assert any("ws://127.0.0.1:4002/local" in line for line in lines)


def test_no_console_line_when_the_console_was_not_built(capsys: pytest.CaptureFixture[str]) -> None:
    print_endpoints(_state(None))
    assert "Web console" not in capsys.readouterr().out
