"""Webhook signatures (Standard Webhooks scheme) and per-tenant secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

import pytest
from pydantic import SecretStr

from speech_core.notify import WebhookSignatureInvalid, signed_headers, tenant_webhook_secret, verify_signature

TENANT = uuid.UUID("6f1c1f5e-0000-4000-8000-000000000001")
SECRET = tenant_webhook_secret(SecretStr("stage-key"), TENANT)
BODY = b'{"type":"job.succeeded","data":{}}'


def test_tenant_secrets_are_derived_stable_and_distinct():
    assert SECRET.startswith("whsec_") and len(base64.b64decode(SECRET.removeprefix("whsec_"))) == 32
    assert tenant_webhook_secret("stage-key", TENANT) == SECRET
    assert tenant_webhook_secret("stage-key", uuid.uuid4()) != SECRET
    assert tenant_webhook_secret("other-stage-key", TENANT) != SECRET


def test_signature_is_hmac_sha256_over_id_timestamp_and_body():
    headers = signed_headers(SECRET, "msg_1", 1_700_000_000, BODY)
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, b"msg_1.1700000000." + BODY, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == "1700000000"


def test_verify_accepts_a_good_request_in_any_header_case():
    headers = {k.title(): v for k, v in signed_headers(SECRET, "msg_1", 1_700_000_000, BODY).items()}
    assert verify_signature(SECRET, headers, BODY, now=1_700_000_100) == "msg_1"


def test_verify_accepts_one_matching_signature_among_several():
    headers = signed_headers(SECRET, "msg_1", 1_700_000_000, BODY)
    headers["webhook-signature"] = "v1,AAAA " + headers["webhook-signature"]
    verify_signature(SECRET, headers, BODY, now=1_700_000_000)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h, b: (h, b + b" "), "no signature matches"),
        (lambda h, b: ({**h, "webhook-id": "msg_2"}, b), "no signature matches"),
        (lambda h, b: ({**h, "webhook-timestamp": "1700000001"}, b), "no signature matches"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b), "missing"),
        (lambda h, b: ({**h, "webhook-timestamp": "soon"}, b), "malformed"),
    ],
)
def test_verify_refuses_tampering(change, message):
    headers, body = change(signed_headers(SECRET, "msg_1", 1_700_000_000, BODY), BODY)
    with pytest.raises(WebhookSignatureInvalid, match=message):
        verify_signature(SECRET, headers, body, now=1_700_000_000)


def test_verify_refuses_a_stale_timestamp_and_another_tenants_secret():
    headers = signed_headers(SECRET, "msg_1", 1_700_000_000, BODY)
    with pytest.raises(WebhookSignatureInvalid, match="tolerance"):
        verify_signature(SECRET, headers, BODY, now=1_700_000_301)
    with pytest.raises(WebhookSignatureInvalid):
        verify_signature(tenant_webhook_secret("stage-key", uuid.uuid4()), headers, BODY, now=1_700_000_000)
