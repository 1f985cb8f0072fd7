"""Test IAM probe: makes the AWS call the request names and answers with its outcome, or with the error."""

import json
import os

import boto3
from botocore.exceptions import ClientError

s3 = boto3.client("s3")
sqs = boto3.client("sqs")


def _call(request):
    bucket, key = os.environ["BUCKET"], request.get("key", "")
    op = request["op"]
    if op == "put":
        return s3.put_object(Bucket=bucket, Key=key, Body=request.get("body", "x").encode())["ETag"]
    if op == "get":
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    if op == "head":
        return s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    if op == "copy":
        source = {"Bucket": bucket, "Key": request["source"]}
        return s3.copy_object(Bucket=bucket, Key=key, CopySource=source)["CopyObjectResult"]["ETag"]
    if op == "presign":
        params = {"Bucket": bucket, "Key": key, **request.get("params", {})}
        return s3.generate_presigned_url(request["method"], Params=params, ExpiresIn=300)
    if op == "send":
        return sqs.send_message(QueueUrl=os.environ["WORK_QUEUE_URL"], MessageBody="{}")["MessageId"]
    raise ValueError(op)


def handler(event, context):
    request = json.loads(event["body"])
    try:
        answer = {"ok": True, "result": _call(request)}
    except ClientError as error:
        answer = {
            "ok": False,
            "exception": type(error).__name__,
            "code": error.response["Error"]["Code"],
            "message": error.response["Error"]["Message"],
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(answer)}
