"""IAM as the local runtime enforces it: policy evaluation, AWS call -> permission mapping, role policies read
from a template, the botocore hook (in-process and in a real worker process), presigned-URL parsing.
Against LocalStack and the played functions: tests/integration/local_cloud/test_iam_enforcement.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from multidict import MultiDict

from local_cloud.aws_call_permissions import CallFacts, Permission, access_denied_code, permissions_for_call
from local_cloud.cfn_intrinsics import IntrinsicResolver, UnresolvableError
from local_cloud.iam_enforcement import CallEnforcer
from local_cloud.iam_policy_evaluator import PolicyError, denial_message, evaluate, policy_verdict
from local_cloud.iam_role_policies import AccountFacts, function_access_key_id, function_role, write_policy_file
from local_cloud.lambda_worker_main import IAM_POLICY_FILE_ENV
from local_cloud.s3_presign_proxy import path_style_object, presigned_access_key, presigned_action

WORKER_MAIN = Path(__file__).resolve().parents[3] / "local_cloud" / "lambda_worker_main.py"
PRINCIPAL = "arn:aws:sts::000000000000:assumed-role/Role/fn"
FACTS = CallFacts(
    region="us-east-1",
    account="000000000000",
    state_machines=("arn:aws:states:us-east-1:000000000000:stateMachine:Jobs",),
    secrets=("arn:aws:secretsmanager:us-east-1:000000000000:secret:db-credentials-AbC123",),
    execute_api_endpoints={"http://127.0.0.1:41000": "wsapi00000"},
)


def _statement(effect: str, action: Any, resource: Any, **other: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource, **other}


# --- evaluator ----------------------------------------------------------------------------------------------

BUCKET_POLICY = {
    "Statement": [
        _statement("Allow", ["s3:PutObject", "s3:Get*"], "arn:aws:s3:::b/a/*"),
        _statement("Deny", "s3:*", "arn:aws:s3:::b/a/denied/*"),
        _statement("Allow", "sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:job-?"),
    ]
}


@pytest.mark.parametrize(
    ("action", "resource", "verdict"),
    [
        ("s3:PutObject", "arn:aws:s3:::b/a/x", "allow"),
        ("s3:PutObject", "arn:aws:s3:::b/a/deep/er/x", "allow"),  # * crosses /
        ("S3:putobject", "arn:aws:s3:::b/a/x", "allow"),  # action names are case-insensitive
        ("s3:GetObjectVersion", "arn:aws:s3:::b/a/x", "allow"),  # Get*
        ("s3:PutObject", "arn:aws:s3:::b/A/x", "no allow"),  # resources are case-sensitive
        ("s3:PutObject", "arn:aws:s3:::b/other/x", "no allow"),
        ("s3:DeleteObject", "arn:aws:s3:::b/a/x", "no allow"),
        ("s3:PutObject", "arn:aws:s3:::b/a/denied/x", "explicit deny"),  # Deny wins over the Allow
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:job-1", "allow"),  # ? is one character
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:job-12", "no allow"),
    ],
)
def test_identity_policy_evaluation(action: str, resource: str, verdict: str) -> None:
    assert evaluate([BUCKET_POLICY], action, resource) == verdict


def test_not_action_and_not_resource() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::mine", "arn:aws:s3:::mine/*"]},
        ]
    }
    assert policy_verdict(policy, "s3:GetObject", "arn:aws:s3:::mine/k") == "allow"
    assert policy_verdict(policy, "s3:GetObject", "arn:aws:s3:::theirs/k") == "explicit deny"
    assert policy_verdict(policy, "iam:CreateUser", "*") == "no allow"


def test_deny_in_one_policy_wins_over_allow_in_another() -> None:
    allow = {"Statement": [_statement("Allow", "*", "*")]}
    deny = {"Statement": [_statement("Deny", "states:StopExecution", "*")]}
    assert evaluate([allow, deny], "states:StopExecution", "arn:aws:states:::execution:x") == "explicit deny"
    assert evaluate([allow, deny], "states:DescribeExecution", "arn:aws:states:::execution:x") == "allow"
    assert evaluate([], "s3:GetObject", "arn:aws:s3:::b/k") == "no allow"


@pytest.mark.parametrize(
    "policy",
    [
        {},
        {"Statement": "not a statement"},
        {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*"}]},
    ],
)
def test_malformed_policies_are_refused(policy: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        policy_verdict(policy, "s3:GetObject", "*")


def test_denial_messages_are_worded_like_aws() -> None:
    assert denial_message(PRINCIPAL, "s3:PutObject", "arn:aws:s3:::b/k", "no allow", quote=True) == (
        f'User: {PRINCIPAL} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" '
        "because no identity-based policy allows the s3:PutObject action"
    )
    assert denial_message(PRINCIPAL, "states:StartExecution", "arn:x", "explicit deny") == (
        f"User: {PRINCIPAL} is not authorized to perform: states:StartExecution on resource: arn:x "
        "with an explicit deny in an identity-based policy"
    )
    assert denial_message(PRINCIPAL, "cloudwatch:PutMetricData", "*", "no allow") == (
        f"User: {PRINCIPAL} is not authorized to perform: cloudwatch:PutMetricData "
        "because no identity-based policy allows the cloudwatch:PutMetricData action"
    )


def test_old_create_upload_grant_refuses_the_uploads_prefix() -> None:
    # The CreateUpload role's S3 statement as CDK's grant_put(bucket, "incoming/*") synthesized it (resolved):
    # the route presigns PUTs under uploads/<tenant>/, which that grant refuses; the fix grants uploads/*.
    bucket = "speech-local-ingest-000000000000-us-east-1"
    put_actions = ["s3:Abort*", "s3:PutObject", "s3:PutObjectLegalHold", "s3:PutObjectRetention"]
    old = {"Statement": [_statement("Allow", put_actions, f"arn:aws:s3:::{bucket}/incoming/*")]}
    new = {"Statement": [_statement("Allow", put_actions, f"arn:aws:s3:::{bucket}/uploads/*")]}
    upload = f"arn:aws:s3:::{bucket}/uploads/tenant-1/6f1c/meeting.wav"
    assert evaluate([old], "s3:PutObject", upload) == "no allow"
    assert evaluate([new], "s3:PutObject", upload) == "allow"
    assert evaluate([new], "s3:PutObject", f"arn:aws:s3:::{bucket}/incoming/tenant-1/x.wav") == "no allow"


# --- AWS call -> permissions --------------------------------------------------------------------------------


def _needs(service: str, operation: str, params: dict[str, Any], url: str | None = None) -> list[tuple[str, ...]]:
    signing = {"stepfunctions": "states", "cloudwatch": "monitoring", "apigatewaymanagementapi": "execute-api"}
    found = permissions_for_call(service, signing.get(service, service), operation, params, FACTS, url)
    return [(p.action, p.resource, *p.alternatives) for p in found]


OBJECT = "arn:aws:s3:::b/k/1.wav"


@pytest.mark.parametrize(
    ("service", "operation", "params", "needed"),
    [
        ("s3", "PutObject", {"Bucket": "b", "Key": "k/1.wav"}, [("s3:PutObject", OBJECT)]),
        ("s3", "HeadObject", {"Bucket": "b", "Key": "k/1.wav"}, [("s3:GetObject", OBJECT)]),
        ("s3", "GetObject", {"Bucket": "b", "Key": "k/1.wav", "VersionId": "v"}, [("s3:GetObjectVersion", OBJECT)]),
        ("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "k/"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
        ("s3", "HeadBucket", {"Bucket": "b"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
        ("s3", "CreateMultipartUpload", {"Bucket": "b", "Key": "k/1.wav"}, [("s3:PutObject", OBJECT)]),
        ("s3", "UploadPart", {"Bucket": "b", "Key": "k/1.wav", "PartNumber": 1}, [("s3:PutObject", OBJECT)]),
        ("s3", "CompleteMultipartUpload", {"Bucket": "b", "Key": "k/1.wav"}, [("s3:PutObject", OBJECT)]),
        ("s3", "AbortMultipartUpload", {"Bucket": "b", "Key": "k/1.wav"}, [("s3:AbortMultipartUpload", OBJECT)]),
        (
            "s3",
            "CopyObject",
            {"Bucket": "b", "Key": "k/1.wav", "CopySource": "src/in%20put.wav?versionId=3"},
            [("s3:GetObjectVersion", "arn:aws:s3:::src/in put.wav"), ("s3:PutObject", OBJECT)],
        ),
        (
            "s3",
            "CopyObject",
            {"Bucket": "b", "Key": "k/1.wav", "CopySource": {"Bucket": "src", "Key": "x"}},
            [("s3:GetObject", "arn:aws:s3:::src/x"), ("s3:PutObject", OBJECT)],
        ),
        (
            "s3",
            "DeleteObjects",
            {"Bucket": "b", "Delete": {"Objects": [{"Key": "x"}, {"Key": "y", "VersionId": "2"}]}},
            [("s3:DeleteObject", "arn:aws:s3:::b/x"), ("s3:DeleteObjectVersion", "arn:aws:s3:::b/y")],
        ),
        ("s3", "ListBuckets", {}, [("s3:ListAllMyBuckets", "*")]),
        (
            "sqs",
            "SendMessageBatch",
            {"QueueUrl": "http://sqs.eu-west-1.localhost.localstack.cloud:4566/000000000000/jobs", "Entries": []},
            [("sqs:SendMessage", "arn:aws:sqs:eu-west-1:000000000000:jobs")],
        ),
        (
            "sqs",
            "DeleteMessage",
            {"QueueUrl": "http://127.0.0.1:4566/000000000000/jobs", "ReceiptHandle": "r"},
            [("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:000000000000:jobs")],
        ),
        (
            "sqs",
            "ReceiveMessage",
            {"QueueUrl": "http://localhost:4566/queue/ap-south-1/000000000000/jobs"},
            [("sqs:ReceiveMessage", "arn:aws:sqs:ap-south-1:000000000000:jobs")],
        ),
        (
            "sqs",
            "GetQueueUrl",
            {"QueueName": "jobs"},
            [("sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:000000000000:jobs")],
        ),
        (
            "stepfunctions",
            "StartExecution",
            {"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:Jobs", "input": "{}"},
            [("states:StartExecution", "arn:aws:states:us-east-1:000000000000:stateMachine:Jobs")],
        ),
        (
            "stepfunctions",
            "StopExecution",
            {"executionArn": "arn:aws:states:us-east-1:000000000000:execution:Jobs:run-1"},
            [("states:StopExecution", "arn:aws:states:us-east-1:000000000000:execution:Jobs:run-1")],
        ),
        (
            "stepfunctions",
            "SendTaskSuccess",
            {"taskToken": "t", "output": "{}"},
            [("states:SendTaskSuccess", "arn:aws:states:us-east-1:000000000000:stateMachine:Jobs")],
        ),
        (
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": "db-credentials"},
            [("secretsmanager:GetSecretValue", FACTS.secrets[0])],
        ),
        (
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-credentials"},
            [("secretsmanager:GetSecretValue", FACTS.secrets[0])],
        ),
        (
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": "other"},
            [("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:000000000000:secret:other-??????")],
        ),
        (
            "ssm",
            "GetParameters",
            {"Names": ["/speech/a", "b"]},
            [
                ("ssm:GetParameters", "arn:aws:ssm:us-east-1:000000000000:parameter/speech/a"),
                ("ssm:GetParameters", "arn:aws:ssm:us-east-1:000000000000:parameter/b"),
            ],
        ),
        (
            "events",
            "PutEvents",
            {"Entries": [{"EventBusName": "jobs"}, {}, {"EventBusName": "jobs"}]},
            [
                ("events:PutEvents", "arn:aws:events:us-east-1:000000000000:event-bus/jobs"),
                ("events:PutEvents", "arn:aws:events:us-east-1:000000000000:event-bus/default"),
            ],
        ),
        (
            "logs",
            "PutLogEvents",
            {"logGroupName": "/aws/lambda/fn", "logStreamName": "s", "logEvents": []},
            [("logs:PutLogEvents", "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn:log-stream:s")],
        ),
        ("cloudwatch", "PutMetricData", {"Namespace": "n", "MetricData": []}, [("cloudwatch:PutMetricData", "*")]),
        ("sts", "GetCallerIdentity", {}, []),
        ("kinesis", "PutRecord", {"StreamName": "s"}, [("kinesis:PutRecord", "*")]),
    ],
)
def test_permissions_a_call_needs(
    service: str, operation: str, params: dict[str, Any], needed: list[tuple[str, ...]]
) -> None:
    assert _needs(service, operation, params) == needed


def test_task_token_answers_may_come_from_any_state_machine_of_the_stack() -> None:
    facts = FACTS._replace(state_machines=("arn:sm:A", "arn:sm:B"))
    (permission,) = permissions_for_call("stepfunctions", "states", "SendTaskFailure", {"taskToken": "t"}, facts)
    assert permission == Permission("states:SendTaskFailure", "arn:sm:A", ("arn:sm:B",))


def test_connection_management_resource_from_the_local_endpoint() -> None:
    needed = _needs(
        "apigatewaymanagementapi",
        "PostToConnection",
        {"ConnectionId": "c1", "Data": b""},
        url="http://127.0.0.1:41000/live/@connections/c1",
    )
    assert needed == [
        (
            "execute-api:ManageConnections",
            "arn:aws:execute-api:us-east-1:000000000000:wsapi00000/live/POST/@connections/c1",
        )
    ]


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("s3", "AccessDenied"),
        ("sqs", "AccessDenied"),
        ("stepfunctions", "AccessDeniedException"),
        ("secretsmanager", "AccessDeniedException"),
        ("ssm", "AccessDeniedException"),
        ("cloudwatch", "AccessDenied"),
        ("sts", "AccessDenied"),
        ("apigatewaymanagementapi", "ForbiddenException"),
    ],
)
def test_access_denied_code_per_service(service: str, code: str) -> None:
    model = botocore.session.get_session().get_service_model(service)
    assert access_denied_code(service, model.protocol, "awsQueryCompatible" in model.metadata) == code


# --- the botocore hook --------------------------------------------------------------------------------------

ROLE = {
    "principal": PRINCIPAL,
    "region": "us-east-1",
    "account": "000000000000",
    "policies": [{"name": "p", "document": BUCKET_POLICY}],
}


def _client(service: str) -> Any:
    """A client of a session that has the enforcer's handlers, as every session of a worker has."""
    session = botocore.session.get_session()
    enforcer = CallEnforcer(ROLE)
    # the stubs type handlers as **kwargs-only callables; botocore passes these by keyword
    session.register("before-parameter-build", enforcer.remember_params)  # type: ignore[arg-type]
    session.register("before-call", enforcer.check_call)  # type: ignore[arg-type]
    return session.create_client(
        service,
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        endpoint_url="http://127.0.0.1:9",  # the discard port
        config=botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )


def test_refused_call_raises_the_client_error_aws_gives_and_sends_nothing() -> None:
    s3 = _client("s3")  # its endpoint listens nowhere: a call that was sent would fail to connect instead
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket="b", Key="other/x", Body=b"1")
    error = raised.value.response
    assert error["Error"]["Code"] == "AccessDenied"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Message"] == denial_message(
        PRINCIPAL, "s3:PutObject", "arn:aws:s3:::b/other/x", "no allow", quote=True
    )
    assert "An error occurred (AccessDenied) when calling the PutObject operation: User:" in str(raised.value)


def test_allowed_call_goes_through_and_presigning_needs_no_permission() -> None:
    s3 = _client("s3")
    with Stubber(s3) as stub:
        stub.add_response("put_object", {"ETag": '"e"'}, {"Bucket": "b", "Key": "a/x", "Body": b"1"})
        assert s3.put_object(Bucket="b", Key="a/x", Body=b"1")["ETag"] == '"e"'
    assert s3.generate_presigned_url("put_object", Params={"Bucket": "b", "Key": "nowhere/x"}).startswith(
        "http://127.0.0.1:9/"
    )


def test_refused_json_service_call_raises_access_denied_exception() -> None:
    states = _client("stepfunctions")
    with pytest.raises(ClientError) as raised:
        states.start_execution(stateMachineArn="arn:aws:states:us-east-1:000000000000:stateMachine:Jobs")
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


def _run_worker(tmp_path: Path, code: str, policy_file: Path | None) -> dict[str, Any]:
    (tmp_path / "fn.py").write_text(code)
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(tmp_path),
        "AWS_LAMBDA_FUNCTION_NAME": "fn",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": "g",
        "AWS_LAMBDA_LOG_STREAM_NAME": "s",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # the discard port: nothing allowed may get an answer
    }
    if policy_file is not None:
        env[IAM_POLICY_FILE_ENV] = str(policy_file)
    request = {"event": {}, "request_id": "r", "deadline_ms": 2**50, "invoked_function_arn": "arn"}
    done = subprocess.run(
        [sys.executable, str(WORKER_MAIN), "fn.handler"],
        input=json.dumps(request) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    ready, answer = done.stdout.splitlines()
    assert json.loads(ready) == {"ready": True}
    return dict(json.loads(answer))


def test_worker_enforces_its_role_on_every_client_it_creates(tmp_path: Path) -> None:
    policy_file = tmp_path / "role.json"
    policy_file.write_text(json.dumps(ROLE))
    code = (
        "import boto3\n"
        "from botocore.exceptions import ClientError\n"
        "def handler(event, context):\n"
        "    try:\n"
        "        boto3.client('s3').put_object(Bucket='b', Key='a/denied/x', Body=b'1')\n"
        "    except ClientError as error:\n"
        "        return error.response['Error']\n"
    )
    error = _run_worker(tmp_path, code, policy_file)["result"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"].endswith("with an explicit deny in an identity-based policy")


def test_worker_without_aws_calls_never_loads_the_enforcement(tmp_path: Path) -> None:
    policy_file = tmp_path / "role.json"
    policy_file.write_text(json.dumps(ROLE))
    code = "import sys\ndef handler(event, context):\n    return sorted(m for m in sys.modules if 'local_cloud' in m)\n"
    assert _run_worker(tmp_path, code, policy_file)["result"] == []


# --- role policies from the template ------------------------------------------------------------------------


def _template(**role_props: Any) -> dict[str, Any]:
    return {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["FnRole", "Arn"]}}},
        "FnRole": {"Type": "AWS::IAM::Role", "Properties": role_props},
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "FnRolePolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "Roles": [{"Ref": "FnRole"}],
                "PolicyDocument": {
                    "Statement": [
                        _statement(
                            "Allow", "s3:PutObject", {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/a/*"]]}
                        )
                    ]
                },
            },
        },
        "OtherPolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"Roles": ["someone-else"], "PolicyDocument": {"Statement": [_statement("Allow", "*", "*")]}},
        },
    }


def _resolver() -> IntrinsicResolver:
    values = {"FnRole": "stack-FnRole-abc123", "Bucket.Arn": "arn:aws:s3:::bucket-1"}
    return IntrinsicResolver(
        ref=lambda lid: values[lid], get_att=lambda lid, att: values[f"{lid}.{att}"], stack_name="S"
    )


def test_function_role_collects_every_attached_policy_resolved() -> None:
    template = _template(
        Policies=[{"PolicyName": "inline", "PolicyDocument": {"Statement": [_statement("Deny", "s3:*", "*")]}}],
        ManagedPolicyArns=[
            {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
                ]
            }
        ],
    )
    role = function_role("Fn", template, _resolver().resolve)
    assert role.name == "stack-FnRole-abc123"
    assert role.principal_arn("fn") == "arn:aws:sts::000000000000:assumed-role/stack-FnRole-abc123/fn"
    assert [p.name for p in role.policies] == ["inline", "FnRolePolicy", "service-role/AWSLambdaBasicExecutionRole"]
    documents = [p.document for p in role.policies]
    assert documents[1]["Statement"][0]["Resource"] == "arn:aws:s3:::bucket-1/a/*"
    assert evaluate(documents[2:], "logs:PutLogEvents", "arn:aws:logs:us-east-1:000000000000:log-group:g") == "allow"


def test_unknown_aws_managed_policy_is_a_plan_error_not_allow_all() -> None:
    template = _template(ManagedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"])
    with pytest.raises(UnresolvableError, match="AdministratorAccess"):
        function_role("Fn", template, _resolver().resolve)


def test_role_outside_the_template_is_a_plan_error() -> None:
    template = _template()
    template["Fn"]["Properties"]["Role"] = "arn:aws:iam::000000000000:role/imported"
    with pytest.raises(UnresolvableError, match="not an AWS::IAM::Role of the template"):
        function_role("Fn", template, _resolver().resolve)


def test_policy_file_and_access_key(tmp_path: Path) -> None:
    role = function_role("Fn", _template(), _resolver().resolve)
    path = write_policy_file(tmp_path / "fn.json", "fn", role, AccountFacts(state_machines=["arn:sm"]))
    enforcer = CallEnforcer.from_file(str(path))
    assert enforcer.principal == role.principal_arn("fn")
    assert enforcer.facts.state_machines == ("arn:sm",)
    key = function_access_key_id("speech-local-create-upload")
    assert key == function_access_key_id("speech-local-create-upload") != function_access_key_id("other")
    assert len(key) == 20 and key.isalnum() and not key[:1].isdigit() and not key.startswith(("ASIA", "AKIA", "LSIA"))


# --- presigned URLs -----------------------------------------------------------------------------------------


def test_presigned_url_parts() -> None:
    v4 = MultiDict({"X-Amz-Credential": "LCFNABC/20260101/us-east-1/s3/aws4_request", "X-Amz-Signature": "s"})
    assert presigned_access_key(v4) == "LCFNABC"
    assert presigned_access_key(MultiDict({"AWSAccessKeyId": "LCFNXYZ", "Signature": "s"})) == "LCFNXYZ"
    assert presigned_access_key(MultiDict({"prefix": "a"})) is None
    assert path_style_object("/bucket/uploads/t%201/a.wav?X-Amz-Signature=s") == ("bucket", "uploads/t 1/a.wav")
    assert path_style_object("/bucket") == ("bucket", "")
    empty: MultiDict[str] = MultiDict()
    assert presigned_action("PUT", "k", empty) == "s3:PutObject"
    assert presigned_action("HEAD", "k", empty) == "s3:GetObject"
    assert presigned_action("GET", "k", MultiDict({"versionId": "1"})) == "s3:GetObjectVersion"
    assert presigned_action("GET", "", empty) == "s3:ListBucket"


def test_presigned_urls_from_a_worker_name_its_access_key() -> None:
    key = function_access_key_id("fn")
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key="s", endpoint_url="http://h"
    )
    from urllib.parse import parse_qs, urlsplit

    for signed in (
        s3.generate_presigned_url("put_object", Params={"Bucket": "b", "Key": "k"}),
        boto3.client(
            "s3",
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key="s",
            endpoint_url="http://h",
            config=botocore.config.Config(signature_version="s3v4"),
        ).generate_presigned_url("put_object", Params={"Bucket": "b", "Key": "k"}),
    ):
        query = MultiDict((k, v[0]) for k, v in parse_qs(urlsplit(signed).query).items())
        assert presigned_access_key(query) == key
