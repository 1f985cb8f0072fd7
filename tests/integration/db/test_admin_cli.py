"""`speech-admin` as an operator runs it, against a real PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from speech_core.keys import get_api_key_service


def _admin(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "speech_core.admin_cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_create_tenant_and_key_then_revoke(database_url):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    assert _admin(database_url, "create-tenant", "--name", name).returncode == 0
    # creating it twice is refused, unless asked to tolerate it
    assert _admin(database_url, "create-tenant", "--name", name).returncode == 2
    assert _admin(database_url, "create-tenant", "--name", name, "--if-missing").returncode == 0

    made = _admin(database_url, "create-key", "--tenant", name, "--scopes", "asr,tts", "--per-minute", "3")
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    verified = get_api_key_service(database_url).verify(created["apiKey"])
    assert verified.scopes == ["asr", "tts"] and verified.limits.per_minute == 3

    listed = json.loads(_admin(database_url, "list-keys", "--tenant", name).stdout)
    assert [k["prefix"] for k in listed] == [created["key"]["prefix"]]
    assert created["apiKey"] not in json.dumps(listed)

    revoked = _admin(database_url, "revoke-key", "--tenant", name, "--key-id", created["key"]["id"])
    assert revoked.returncode == 0 and json.loads(revoked.stdout)["revoked"] is True


def test_refusals_exit_2_with_a_json_error(database_url):
    missing = _admin(database_url, "create-key", "--tenant", "no-such-tenant")
    assert missing.returncode == 2
    assert json.loads(missing.stderr)["error"]["code"] == "resource.not_found"
    name = f"cli-{uuid.uuid4().hex[:8]}"
    _admin(database_url, "create-tenant", "--name", name)
    bad_scope = _admin(database_url, "create-key", "--tenant", name, "--scopes", "asr,teleport")
    assert bad_scope.returncode == 2
    assert json.loads(bad_scope.stderr)["error"]["code"] == "request.invalid"


def test_tenant_settings_shown_set_and_cleared(database_url):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    _admin(database_url, "create-tenant", "--name", name)
    shown = json.loads(_admin(database_url, "tenant-settings", "--tenant", name).stdout)
    assert shown == {"tenant": name, "defaultLanguage": None, "audioUrlAllowedHosts": []}

    hosts = "Media.Example.com, cdn.example.org.,media.example.com,*.cdn.example.net"
    set_ = _admin(
        database_url, "tenant-settings", "--tenant", name, "--default-language", "hi", "--audio-url-hosts", hosts
    )
    assert set_.returncode == 0, set_.stderr
    assert json.loads(set_.stdout) == {
        "tenant": name,
        "defaultLanguage": "hi",
        "audioUrlAllowedHosts": ["*.cdn.example.net", "cdn.example.org", "media.example.com"],
    }
    # one setting changed at a time keeps the other
    kept = json.loads(_admin(database_url, "tenant-settings", "--tenant", name, "--no-default-language").stdout)
    assert kept["defaultLanguage"] is None and len(kept["audioUrlAllowedHosts"]) == 3
    cleared = json.loads(_admin(database_url, "tenant-settings", "--tenant", name, "--audio-url-hosts", "").stdout)
    assert cleared["audioUrlAllowedHosts"] == []


def test_tenant_settings_refuse_what_is_not_a_language_or_a_host(database_url):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    _admin(database_url, "create-tenant", "--name", name)
    for args in (
        ("--default-language", "Hindi!"),
        ("--audio-url-hosts", "https://media.example.com/x"),
        ("--audio-url-hosts", "media.example.com:443"),
        ("--audio-url-hosts", "*"),
        ("--audio-url-hosts", "media.*.com"),
    ):
        refused = _admin(database_url, "tenant-settings", "--tenant", name, *args)
        assert refused.returncode == 2, args
        assert json.loads(refused.stderr)["error"]["code"] == "request.invalid"
    # nothing was written by the refused calls
    assert json.loads(_admin(database_url, "tenant-settings", "--tenant", name).stdout)["audioUrlAllowedHosts"] == []
