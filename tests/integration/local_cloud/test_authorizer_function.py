"""functions/authorizer against a real PostgreSQL and the real key service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from functions.authorizer import handle_authorize_connection, handle_authorize_request
from functions.authorizer.api_key_policy import Unauthorized
from speech_core.db.repositories import get_repositories
from speech_core.keys import Scope, get_api_key_service
from speech_core.keys.api_key_service import utc_now
from speech_core.settings import read_settings

pytestmark = pytest.mark.integration

METHOD_ARN = "arn:aws:execute-api:us-east-1:000000000000:abc123/local/POST/services/inference/asr"


@pytest.fixture()
def key_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The handlers read DATABASE_URL from their settings, like in a function environment."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    read_settings.cache_clear()
    get_api_key_service.cache_clear()
    yield database_url
    read_settings.cache_clear()
    get_api_key_service.cache_clear()


def _new_key(url: str, **kwargs):  # noqa: ANN003, ANN202
    tenant = get_repositories(url).tenants.create(f"t-{uuid.uuid4().hex[:8]}", "Test tenant")
    created = get_api_key_service(url).create_key(tenant.id, "test", [Scope.ASR, Scope.TRANSLATION], **kwargs)
    return tenant, created


def _request(headers: dict[str, str]) -> dict:
    return {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers, "queryStringParameters": None}


def test_valid_key_is_allowed_with_tenant_context_in_each_header_form(key_database: str) -> None:
    tenant, created = _new_key(key_database)
    for headers in (
        {"x-api-key": created.plaintext},
        {"Authorization": f"Bearer {created.plaintext}"},
        {"Authorization": created.plaintext},
    ):
        answer = handle_authorize_request.handler(_request(headers), None)
        statement = answer["policyDocument"]["Statement"][0]
        assert statement["Effect"] == "Allow"
        # stage-wide, because API Gateway reuses a cached policy for the key's other routes
        assert statement["Resource"] == "arn:aws:execute-api:us-east-1:000000000000:abc123/local/*"
        assert answer["context"]["tenantId"] == str(tenant.id)
        assert answer["context"]["scopes"] == "asr,translation"
        assert answer["context"]["limitPerMinute"] == 60


def test_missing_key_is_unauthorized(key_database: str) -> None:
    with pytest.raises(Unauthorized, match="^Unauthorized$"):
        handle_authorize_request.handler(_request({}), None)


@pytest.mark.parametrize("case", ["unknown", "revoked", "expired"])
def test_bad_keys_are_denied_with_their_code(key_database: str, case: str) -> None:
    if case == "unknown":
        plaintext, code = "spk_doesnotexist_0000000000000000", "auth.invalid_key"
    elif case == "revoked":
        tenant, created = _new_key(key_database)
        get_api_key_service(key_database).revoke_key(tenant.id, created.key.id)
        plaintext, code = created.plaintext, "auth.revoked_key"
    else:
        tenant, created = _new_key(key_database, expires_at=utc_now() + timedelta(seconds=1))
        repositories = get_repositories(key_database)
        repositories.api_keys.set_expiry(tenant.id, created.key.id, utc_now() - timedelta(seconds=1))
        plaintext, code = created.plaintext, "auth.expired_key"
    answer = handle_authorize_request.handler(_request({"x-api-key": plaintext}), None)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert answer["context"]["errorCode"] == code


def test_websocket_authorizer_takes_the_key_from_the_query_string(key_database: str) -> None:
    tenant, created = _new_key(key_database)
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:000000000000:ws1/local/$connect",
        "headers": {},
        "queryStringParameters": {"key": created.plaintext},
    }
    answer = handle_authorize_connection.handler(event, None)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert answer["context"]["tenantName"] == tenant.name


def test_websocket_authorizer_takes_the_key_from_the_speech_v1_subprotocol_and_logs_none_of_it(
    key_database: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    tenant, created = _new_key(key_database)
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:000000000000:ws1/local/$connect",
        "headers": {"Sec-WebSocket-Protocol": f"speech.v1, {created.plaintext}"},
        "queryStringParameters": None,
    }
    answer = handle_authorize_connection.handler(event, None)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert answer["context"]["tenantName"] == tenant.name
    # a wrong key offered the same way is denied; the key alone, without speech.v1, is no key at all
    event["headers"] = {"Sec-WebSocket-Protocol": "speech.v1, spk_doesnotexist_0000000000000000"}
    assert handle_authorize_connection.handler(event, None)["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    event["headers"] = {"Sec-WebSocket-Protocol": created.plaintext}
    with pytest.raises(Unauthorized):
        handle_authorize_connection.handler(event, None)
    captured = capsys.readouterr()
    assert created.plaintext not in captured.out + captured.err + caplog.text
