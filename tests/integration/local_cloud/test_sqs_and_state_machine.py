"""SQS event-source mapping with partial batch failure and DLQ redrive; a task-token state machine."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from local_cloud.cloudformation_deployer import aws_client
from local_cloud.localstack_process import LocalStack

pytestmark = pytest.mark.integration


def _drain(sqs, queue_url: str, seconds: float) -> list[dict]:  # noqa: ANN001
    found: list[dict] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        if found:
            return found
    return found


def test_poison_record_goes_to_dlq_and_good_records_are_deleted(outputs: dict[str, str], sqs) -> None:  # noqa: ANN001
    # Given one batch with good records and one poison record
    run = uuid.uuid4().hex
    work, dlq = outputs["WorkQueueUrl"], outputs["WorkDlqUrl"]
    entries = [{"Id": str(i), "MessageBody": json.dumps({"run": run, "n": i})} for i in range(3)]
    entries.append({"Id": "p", "MessageBody": json.dumps({"run": run, "poison": True})})
    sqs.send_message_batch(QueueUrl=work, Entries=entries)
    # When the mapping has processed it (visibility 2 s, maxReceiveCount 2), the poison record lands in the DLQ
    dead = _drain(sqs, dlq, seconds=30)
    assert dead == [{"run": run, "poison": True}]
    # Then the good records were deleted: nothing of this run is left in the work queue
    attributes = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_state_machine_waits_for_task_token_answered_by_queue_function(
    outputs: dict[str, str], localstack: LocalStack
) -> None:
    stepfunctions = aws_client("stepfunctions", localstack.endpoint)
    execution = stepfunctions.start_execution(
        stateMachineArn=outputs["StateMachineArn"], input=json.dumps({"value": 21})
    )["executionArn"]
    deadline = time.monotonic() + 30
    status = "RUNNING"
    while status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
        description = stepfunctions.describe_execution(executionArn=execution)
        status = description["status"]
    assert status == "SUCCEEDED"
    assert json.loads(description["output"]) == {"doubled": 42}
