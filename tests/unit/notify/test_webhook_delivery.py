"""Webhook delivery against a real HTTP server on 127.0.0.1: signed, retried with the same id, recorded."""

from __future__ import annotations

import json
import ssl
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from webhook_receiver import webhook_receiver

from speech_core.db.records import JobState, NewWebhookDelivery
from speech_core.notify import (
    JobStateChange,
    PinnedHttpTransport,
    RetryPolicy,
    WebhookSignatureInvalid,
    deliver_webhook,
    tenant_webhook_secret,
    verify_signature,
)

TENANT = uuid.uuid4()
SECRET = tenant_webhook_secret("stage-key", TENANT)
FAST = RetryPolicy(max_attempts=4, timeout_s=2.0, first_backoff_s=0.0, deadline_s=30)


class DeliveryLog:
    def __init__(self) -> None:
        self.tries: list[NewWebhookDelivery] = []

    def record_delivery(self, delivery: NewWebhookDelivery) -> NewWebhookDelivery:
        self.tries.append(delivery)
        return delivery


def change(state: JobState = JobState.SUCCEEDED) -> JobStateChange:
    return JobStateChange(
        job_id=uuid.uuid4(),
        tenant_id=TENANT,
        state=state,
        attempt=1,
        occurred_at=datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        audio_seconds_total=3600.0,
        billed_audio_seconds=3600.0,
    )


def deliver(url: str, log: DeliveryLog, the_change: JobStateChange | None = None, **kwargs):
    return deliver_webhook(
        the_change or change(),
        url,
        secret=SECRET,
        deliveries=log,
        policy=kwargs.pop("policy", FAST),
        allow_insecure_local=True,
        **kwargs,
    )


def test_500_then_200_is_one_verified_delivery_with_the_same_id():
    log = DeliveryLog()
    the_change = change()
    # Given a receiver that fails once, then accepts
    with webhook_receiver(500, 200) as receiver:
        outcome = deliver(receiver.url(), log, the_change)
    # Then it got two signed tries of one delivery, and deduplicating on the id leaves exactly one
    assert outcome.delivered and outcome.attempts == 2 and outcome.status_code == 200
    ids = [verify_signature(SECRET, r.headers, r.body) for r in receiver.requests]
    assert ids == [str(the_change.delivery_id)] * 2
    accepted = {verify_signature(SECRET, receiver.requests[1].headers, receiver.requests[1].body)}
    assert accepted == {str(the_change.delivery_id)}
    body = json.loads(receiver.requests[1].body)
    assert body["type"] == "job.succeeded" and body["data"]["jobId"] == str(the_change.job_id)
    assert body["data"]["tenantId"] == str(TENANT) and body["data"]["billedAudioSeconds"] == 3600.0
    assert receiver.requests[0].path == "/hooks/speech?tenant=acme"
    # And each try is recorded under the one delivery id
    assert [(t.attempt, t.status_code, t.delivered) for t in log.tries] == [(1, 500, False), (2, 200, True)]
    assert {t.id for t in log.tries} == {the_change.delivery_id}
    assert log.tries[0].error == "HTTP 500" and log.tries[0].event == "succeeded"


def test_the_delivery_id_is_stable_across_redeliveries_of_the_same_change():
    the_change = change()
    assert the_change.delivery_id == the_change.model_copy().delivery_id
    assert the_change.delivery_id != the_change.model_copy(update={"attempt": 2}).delivery_id
    assert the_change.delivery_id != the_change.model_copy(update={"state": JobState.FAILED}).delivery_id


def test_a_receiver_that_keeps_failing_gets_max_attempts_then_gives_up():
    log = DeliveryLog()
    with webhook_receiver(503) as receiver:
        outcome = deliver(receiver.url(), log)
    assert not outcome.delivered and outcome.attempts == 4 and len(receiver.requests) == 4
    assert [t.attempt for t in log.tries] == [1, 2, 3, 4] and not any(t.delivered for t in log.tries)


def test_a_client_error_is_not_retried():
    log = DeliveryLog()
    with webhook_receiver(410) as receiver:
        outcome = deliver(receiver.url(), log)
    assert not outcome.delivered and len(receiver.requests) == 1 and outcome.error == "HTTP 410 (not retried)"


def test_redirects_are_not_followed():
    log = DeliveryLog()
    with webhook_receiver(302, 200) as receiver:
        outcome = deliver(receiver.url(), log)
    assert not outcome.delivered and [r.path for r in receiver.requests] == ["/hooks/speech?tenant=acme"]


def test_connection_failures_retry_with_backoff_within_the_deadline():
    log = DeliveryLog()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)

    with webhook_receiver(200) as receiver:
        closed_port = receiver.port
    policy = RetryPolicy(max_attempts=5, timeout_s=1.0, first_backoff_s=1.0, backoff_factor=3.0, deadline_s=12)
    outcome = deliver(f"http://127.0.0.1:{closed_port}/", log, policy=policy, sleep=sleep, clock=lambda: sum(waits))
    # waits of 1 s and 3 s (plus up to 25 % jitter); a third, 9 s, would pass the 12 s deadline
    assert len(waits) == 2 and 1.0 <= waits[0] <= 1.25 and 3.0 <= waits[1] <= 3.75
    assert not outcome.delivered and outcome.attempts == 3
    assert all(t.status_code is None and "ConnectionRefused" in (t.error or "") for t in log.tries)


def test_a_refused_url_is_recorded_and_nothing_is_sent():
    log = DeliveryLog()
    outcome = deliver_webhook(change(), "http://127.0.0.1:9/", secret=SECRET, deliveries=log, policy=FAST)
    assert not outcome.delivered and outcome.attempts == 1 and "https" in (outcome.error or "")
    assert len(log.tries) == 1 and log.tries[0].status_code is None


def test_the_connection_goes_to_the_checked_address_with_the_name_in_host():
    # Given a name whose (one) resolution the check saw: 127.0.0.1
    log = DeliveryLog()
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    with webhook_receiver(200) as receiver:
        outcome = deliver(receiver.url(host="hooks.rebind.test"), log, resolve=resolve)
    # Then the request reached that address, named the host, and the name was looked up once only
    assert outcome.delivered and lookups == ["hooks.rebind.test"]
    assert receiver.requests[0].headers["host"] == f"hooks.rebind.test:{receiver.port}"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=hooks.example.test",
            "-addext",
            "subjectAltName=DNS:hooks.example.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_connects_to_the_checked_address_and_verifies_the_name(tls_files):
    cert, key = tls_files
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    log = DeliveryLog()
    with webhook_receiver(200, tls=server_tls) as receiver:
        # the certificate names hooks.example.test; the connection goes to 127.0.0.1 with that SNI
        ok = deliver(
            receiver.url(host="hooks.example.test", scheme="https"),
            log,
            resolve=lambda host, port: ["127.0.0.1"],
            transport=PinnedHttpTransport(client_tls),
        )
        # a name the certificate does not carry fails verification (a try that is retried, then given up)
        wrong = deliver(
            receiver.url(host="other.example.test", scheme="https"),
            log,
            resolve=lambda host, port: ["127.0.0.1"],
            transport=PinnedHttpTransport(client_tls),
            policy=RetryPolicy(max_attempts=1, timeout_s=2.0),
        )
    assert ok.delivered and ok.status_code == 200
    assert not wrong.delivered and "certificate" in (wrong.error or "").lower()
    verify_signature(SECRET, receiver.requests[0].headers, receiver.requests[0].body)
    with pytest.raises(WebhookSignatureInvalid):
        verify_signature(
            tenant_webhook_secret("stage-key", uuid.uuid4()), receiver.requests[0].headers, receiver.requests[0].body
        )
