"""The jobs API's AWS adapters against moto: S3 head and deletes, the job-start queue, stopping executions."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from moto import mock_aws

from speech_core.contracts.jobs import JobExecutionInput, JobRef
from speech_core.orchestration.executions import StepFunctionsJobExecutions
from speech_core.orchestration.job_start_queue import SqsJobStartQueue
from speech_core.storage.object_store import ObjectInfo, S3ObjectStore

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@mock_aws
def test_head_and_prefix_delete_touch_only_that_prefix():
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="audio")
    store = S3ObjectStore(s3)
    for i in range(1_005):  # more than one delete_objects request (1000 each)
        s3.put_object(Bucket="audio", Key=f"chunks/t/job-a/{i:05d}.wav", Body=b"x")
    s3.put_object(Bucket="audio", Key="chunks/t/job-ab/00000.wav", Body=b"keep", ContentType="audio/wav")
    assert store.head("audio", "chunks/t/job-ab/00000.wav") == ObjectInfo(size=4, content_type="audio/wav")
    assert store.head("audio", "chunks/t/nothing.wav") is None
    assert store.delete_prefix("audio", "chunks/t/job-a/") == 1_005
    remaining = [o["Key"] for o in s3.list_objects_v2(Bucket="audio")["Contents"]]
    assert remaining == ["chunks/t/job-ab/00000.wav"]
    store.delete("audio", "chunks/t/job-ab/00000.wav")
    store.delete("audio", "chunks/t/job-ab/00000.wav")  # deleting again is no error
    assert store.head("audio", "chunks/t/job-ab/00000.wav") is None
    with pytest.raises(ValueError):
        store.delete_prefix("audio", "chunks/t/job")  # never a bare prefix that could match other jobs


@mock_aws
def test_job_start_message_is_the_execution_input():
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="job-start")["QueueUrl"]
    ref = JobRef(job_id=uuid.uuid4(), tenant_id=uuid.uuid4(), attempt=2)
    SqsJobStartQueue(sqs, url).send(JobExecutionInput(job=ref))
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    body = json.loads(message["Body"])
    assert body == {"job": {"jobId": str(ref.job_id), "tenantId": str(ref.tenant_id), "attempt": 2}}
    assert JobExecutionInput.model_validate(body).job.execution_name == f"{ref.job_id}-a2"


@mock_aws
def test_stop_execution_and_an_unknown_one():
    sfn = boto3.client("stepfunctions", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 600, "End": True}}}
    machine = sfn.create_state_machine(name="jobs", definition=json.dumps(definition), roleArn=role)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="j-a1")["executionArn"]
    executions = StepFunctionsJobExecutions(sfn)
    assert executions.stop(execution, "cancelled by the API")
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
    unknown = execution.replace("j-a1", "never-started")
    assert executions.stop(unknown, "cancelled by the API") is False
