"""notify_job_state: the EventBridge event (moto) and the webhook (a real local receiver) together."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws
from webhook_receiver import webhook_receiver

from speech_core.db.records import JobState, NewWebhookDelivery
from speech_core.notify import (
    EVENT_DETAIL_TYPE,
    EVENT_SOURCE,
    EventNotPublished,
    JobStateChange,
    notify_job_state,
    publish_job_event,
    tenant_webhook_secret,
    verify_signature,
)
from speech_core.settings import NotifySettings

REGION = "us-east-1"


class DeliveryLog:
    def __init__(self) -> None:
        self.tries: list[NewWebhookDelivery] = []

    def record_delivery(self, delivery: NewWebhookDelivery) -> None:
        self.tries.append(delivery)


def change(state: JobState = JobState.FAILED) -> JobStateChange:
    return JobStateChange(
        job_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        state=state,
        attempt=2,
        occurred_at=datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        error_code="ChunkFailed",
        error_message="chunk 3 at 84.2s: model.failed: boom",
        chunks_total=10,
        chunks_done=9,
    )


def capture_bus(bus: str) -> tuple[object, object, str]:
    """A rule on `bus` for job events, delivering to an SQS queue the test reads."""
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    if bus != "default":
        events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName="job-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="jobs",
        EventBusName=bus,
        EventPattern=json.dumps({"source": [EVENT_SOURCE], "detail-type": [EVENT_DETAIL_TYPE]}),
    )
    events.put_targets(Rule="jobs", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return events, sqs, queue_url


def received(sqs, queue_url: str) -> list[dict]:
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@mock_aws
@pytest.mark.parametrize("bus", ["default", "speech-dev-jobs"])
def test_an_event_per_state_change_on_the_configured_bus(bus: str):
    events, sqs, queue_url = capture_bus(bus)
    the_change = change()
    outcome = notify_job_state(
        the_change, None, settings=NotifySettings(event_bus_name=bus), events=events, deliveries=DeliveryLog()
    )
    assert outcome.event_published and outcome.webhook is None
    [event] = received(sqs, queue_url)
    assert event["source"] == "speech.jobs" and event["detail-type"] == "Job State Change"
    assert event["detail"] == {
        "jobId": str(the_change.job_id),
        "tenantId": str(the_change.tenant_id),
        "state": "failed",
        "attempt": 2,
        "occurredAt": "2026-11-30T12:00:00Z",
        "errorCode": "ChunkFailed",
        "errorMessage": "chunk 3 at 84.2s: model.failed: boom",
        "chunksTotal": 10,
        "chunksDone": 9,
    }


@mock_aws
def test_event_and_signed_webhook_together():
    events, sqs, queue_url = capture_bus("default")
    settings = NotifySettings(
        webhook_signing_key="stage-key", webhook_allow_insecure_local=True, webhook_first_backoff_s=0
    )
    the_change = change(JobState.SUCCEEDED)
    log = DeliveryLog()
    with webhook_receiver(500, 200) as receiver:
        outcome = notify_job_state(the_change, receiver.url(), settings=settings, events=events, deliveries=log)
    assert outcome.webhook is not None and outcome.webhook.delivered and outcome.webhook.attempts == 2
    secret = tenant_webhook_secret("stage-key", the_change.tenant_id)
    assert {verify_signature(secret, r.headers, r.body) for r in receiver.requests} == {str(the_change.delivery_id)}
    assert len(received(sqs, queue_url)) == 1
    assert [t.delivered for t in log.tries] == [False, True]


def test_a_refused_event_raises_so_the_step_is_retried():
    class Refusing:
        def put_events(self, *, Entries):  # noqa: N803 - boto3's name
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow"}]}

    with pytest.raises(EventNotPublished, match="ThrottlingException"):
        publish_job_event(change(), events=Refusing())
