"""Test REST function: answers with what it received."""

import base64
import json
import os
import time


def handler(event, context):
    if event.get("queryStringParameters") and "sleep" in event["queryStringParameters"]:
        time.sleep(float(event["queryStringParameters"]["sleep"]))
    if event["path"].endswith("/audio"):
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "audio/wav"},
            "isBase64Encoded": True,
            "body": base64.b64encode(base64.b64decode(event["body"])[::-1]).decode(),
        }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(
            {
                "authorizer": event["requestContext"].get("authorizer"),
                "pathParameters": event["pathParameters"],
                "isBase64Encoded": event["isBase64Encoded"],
                "requestId": context.aws_request_id,
                "remainingMs": context.get_remaining_time_in_millis(),
                "greeting": os.environ["GREETING"],
                "queueUrl": os.environ["WORK_QUEUE_URL"],
            }
        ),
    }
