"""Test WebSocket function: echoes through @connections; records connect/disconnect on the events queue."""

import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    request = event["requestContext"]
    route = request["routeKey"]
    if route in ("$connect", "$disconnect"):
        sqs.send_message(
            QueueUrl=os.environ["EVENTS_QUEUE_URL"],
            MessageBody=json.dumps(
                {"route": route, "connectionId": request["connectionId"], "authorizer": request.get("authorizer")}
            ),
        )
        return {"statusCode": 200}
    management = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["CONNECTIONS_URL"])
    payload = {
        "route": route,
        "body": event["body"],
        "connectionId": request["connectionId"],
        "tenantId": (request.get("authorizer") or {}).get("tenantId"),
    }
    management.post_to_connection(ConnectionId=request["connectionId"], Data=json.dumps(payload).encode())
    return {"statusCode": 200}
