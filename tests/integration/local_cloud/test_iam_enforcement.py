"""IAM enforced by the local runtime: real worker processes, real botocore clients, real LocalStack.

The fixture's IamProbe role may s3:PutObject/s3:GetObject on <bucket>/a/* with an explicit Deny of s3:* on
a/denied/*; IamProbeWithoutGrants has only what CDK gives every function role (AWSLambdaBasicExecutionRole).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from typing import Any

import httpx
import pytest

from local_cloud.cloudformation_deployer import aws_client
from local_cloud.localstack_process import LocalStack
from tests.integration.local_cloud.fixture_app import DENIED_PREFIX, GRANTED_PREFIX

pytestmark = pytest.mark.integration


def _probe(outputs: dict[str, str], which: str, **request: Any) -> dict[str, Any]:
    response = httpx.post(f"{outputs['ApiUrl']}iam/{which}", json=request, timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _key(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}.txt"


def _object_exists(localstack: LocalStack, bucket: str, key: str) -> bool:
    listing = aws_client("s3", localstack.endpoint).list_objects_v2(Bucket=bucket, Prefix=key)
    return listing.get("KeyCount", 0) > 0


def test_granted_prefix_is_allowed_and_readable(outputs: dict[str, str]) -> None:
    key = _key(GRANTED_PREFIX)
    assert _probe(outputs, "granted", op="put", key=key, body="hello")["ok"]
    assert _probe(outputs, "granted", op="get", key=key) == {"ok": True, "result": "hello"}
    assert _probe(outputs, "granted", op="head", key=key) == {"ok": True, "result": 5}


def test_put_outside_the_granted_prefix_is_access_denied_like_aws(outputs: dict[str, str]) -> None:
    # Given a role allowed s3:PutObject on a/* only
    key = _key("b/")
    # When its function puts outside that prefix
    answer = _probe(outputs, "granted", op="put", key=key)
    # Then botocore raised a ClientError (the probe catches only those) with S3's code, status and AWS's
    # message, naming the role session
    assert answer["ok"] is False
    assert (answer["code"], answer["status"]) == ("AccessDenied", 403)
    bucket = outputs["IamBucketName"]
    assert answer["message"].startswith("User: arn:aws:sts::000000000000:assumed-role/")
    assert "/LocalCloudFixture-IamProbe" in answer["message"]
    assert answer["message"].endswith(
        f'is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::{bucket}/{key}" '
        "because no identity-based policy allows the s3:PutObject action"
    )


def test_explicit_deny_wins_over_the_allow(outputs: dict[str, str], localstack: LocalStack) -> None:
    key = _key(DENIED_PREFIX)
    answer = _probe(outputs, "granted", op="put", key=key)
    assert (answer["code"], answer["status"]) == ("AccessDenied", 403)
    assert answer["message"].endswith("with an explicit deny in an identity-based policy")
    assert not _object_exists(localstack, outputs["IamBucketName"], key)  # nothing was sent to S3


def test_copy_needs_get_on_the_source_and_put_on_the_destination(outputs: dict[str, str]) -> None:
    source = _key(GRANTED_PREFIX)
    assert _probe(outputs, "granted", op="put", key=source)["ok"]
    assert _probe(outputs, "granted", op="copy", key=_key(GRANTED_PREFIX), source=source)["ok"]
    answer = _probe(outputs, "granted", op="copy", key=_key("b/"), source=source)
    assert "s3:PutObject" in answer["message"] and answer["code"] == "AccessDenied"


def test_missing_key_without_list_bucket_is_403_not_404(outputs: dict[str, str]) -> None:
    # AWS hides whether a key exists from a role that may not list the bucket
    answer = _probe(outputs, "granted", op="head", key=_key(GRANTED_PREFIX))
    assert (answer["code"], answer["status"]) == ("403", 403)
    answer = _probe(outputs, "granted", op="get", key=_key(GRANTED_PREFIX))
    assert (answer["code"], answer["status"]) == ("AccessDenied", 403)
    assert "s3:ListBucket" in answer["message"]


def test_ungranted_sqs_send_is_access_denied(outputs: dict[str, str]) -> None:
    answer = _probe(outputs, "granted", op="send")
    assert (answer["code"], answer["status"]) == ("AccessDenied", 403)
    assert "sqs:SendMessage on resource: arn:aws:sqs:us-east-1:000000000000:" in answer["message"]


def test_presigned_put_carries_the_signers_permissions(outputs: dict[str, str], localstack: LocalStack) -> None:
    bucket = outputs["IamBucketName"]
    # Given a URL signed by the granted function, for a key it may put
    key = _key(GRANTED_PREFIX)
    signed = _probe(
        outputs, "granted", op="presign", method="put_object", key=key, params={"ContentType": "text/plain"}
    )
    # When a client PUTs through it, Then it lands in S3 with its content type
    put = httpx.put(signed["result"], content=b"uploaded", headers={"Content-Type": "text/plain"}, timeout=30)
    assert put.status_code == 200, put.text
    assert put.headers["ETag"]
    head = aws_client("s3", localstack.endpoint).head_object(Bucket=bucket, Key=key)
    assert (head["ContentLength"], head["ContentType"]) == (8, "text/plain")
    # and a presigned GET from the same role reads it back
    url = _probe(outputs, "granted", op="presign", method="get_object", key=key)["result"]
    get = httpx.get(url, timeout=30)
    assert (get.status_code, get.content) == (200, b"uploaded")


@pytest.mark.parametrize(("signer", "prefix"), [("ungranted", GRANTED_PREFIX), ("granted", "b/")])
def test_presigned_put_without_the_grant_is_403_access_denied(
    outputs: dict[str, str], localstack: LocalStack, signer: str, prefix: str
) -> None:
    # Given a URL signed by a function whose role may not put that key (signing itself needs no permission)
    key = _key(prefix)
    signed = _probe(outputs, signer, op="presign", method="put_object", key=key)
    assert signed["ok"]
    # When a client PUTs through it, Then S3's 403 AccessDenied XML answers and nothing is stored
    put = httpx.put(signed["result"], content=b"uploaded", timeout=30)
    assert put.status_code == 403
    assert put.headers["Content-Type"] == "application/xml"
    assert "<Code>AccessDenied</Code>" in put.text
    assert "s3:PutObject" in put.text and "because no identity-based policy allows" in put.text
    assert not _object_exists(localstack, outputs["IamBucketName"], key)


def test_pass_through_streams_large_objects_unchanged(outputs: dict[str, str], localstack: LocalStack) -> None:
    # 12 MB through a presigned PUT and GET: bodies stream through the S3 pass-through with their length
    body = os.urandom(12 * 1024 * 1024)
    key = _key(GRANTED_PREFIX)
    signed = _probe(outputs, "granted", op="presign", method="put_object", key=key)["result"]
    put = httpx.put(signed, content=body, timeout=60)
    assert put.status_code == 200, put.text
    assert put.headers["ETag"].strip('"') == hashlib.md5(body).hexdigest()
    url = _probe(outputs, "granted", op="presign", method="get_object", key=key)["result"]
    with httpx.stream("GET", url, timeout=60) as get:
        assert get.headers["Content-Length"] == str(len(body))
        assert get.read() == body
