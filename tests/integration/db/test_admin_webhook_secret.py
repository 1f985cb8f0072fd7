"""`speech-admin webhook-secret`: the secret a tenant verifies its webhooks with, derived from the stage key
(WEBHOOK_SIGNING_KEY here; the Secrets Manager path is in tests/unit/notify/test_webhook_signing_key.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from speech_core.notify import tenant_webhook_secret


def _admin(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"WEBHOOK_SIGNING_KEY", "WEBHOOK_SIGNING_SECRET_ARN"}
    }
    environment |= {"DATABASE_URL": database_url, **env}
    return subprocess.run(
        [sys.executable, "-m", "speech_core.admin_cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_webhook_secret_is_the_tenants_derived_secret(database_url):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    tenant = json.loads(_admin(database_url, "create-tenant", "--name", name).stdout)
    shown = _admin(database_url, "webhook-secret", "--tenant", name, WEBHOOK_SIGNING_KEY="stage-key")
    assert shown.returncode == 0, shown.stderr
    answer = json.loads(shown.stdout)
    assert answer["webhookSecret"] == tenant_webhook_secret("stage-key", uuid.UUID(tenant["id"]))
    assert "warning" not in answer and answer["keySource"] == "WEBHOOK_SIGNING_KEY"
    # without the stage key it is the local development key's secret, and says so
    local = json.loads(_admin(database_url, "webhook-secret", "--tenant", name).stdout)
    assert local["webhookSecret"] != answer["webhookSecret"] and "warning" in local
    assert _admin(database_url, "webhook-secret", "--tenant", "no-such-tenant").returncode == 2
