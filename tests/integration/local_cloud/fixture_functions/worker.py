"""Test queue consumer: "poison" fails its record; a task token is answered to Step Functions."""

import json

import boto3

stepfunctions = boto3.client("stepfunctions")


def handler(event, context):
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        if body.get("poison"):
            failures.append({"itemIdentifier": record["messageId"]})
        elif "taskToken" in body:
            stepfunctions.send_task_success(
                taskToken=body["taskToken"], output=json.dumps({"doubled": body["value"] * 2})
            )
    return {"batchItemFailures": failures}
