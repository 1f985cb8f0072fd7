"""The WebSocket API played from the template: $connect authorizer, routes, @connections, 410 after close."""

from __future__ import annotations

import asyncio
import json
import time

import boto3
import pytest
import websockets
from botocore.exceptions import ClientError
from websockets.exceptions import InvalidStatus

from tests.integration.local_cloud.conftest import WS_IDLE_TIMEOUT_S

pytestmark = pytest.mark.integration


def _management(outputs: dict[str, str]):  # noqa: ANN202 - a boto3 client
    endpoint = outputs["WebSocketUrl"].replace("ws://", "http://")
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _events(sqs, queue_url: str, connection_id: str, routes: set[str]) -> dict[str, dict]:  # noqa: ANN001
    """The events the function recorded for `connection_id`, by route (others go back to the queue)."""
    found: dict[str, dict] = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and set(found) != routes:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            body = json.loads(message["Body"])
            if body["connectionId"] == connection_id:
                found[body["route"]] = body
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
    return found


def test_connect_without_key_is_401_and_denied_key_is_403(outputs: dict[str, str]) -> None:
    async def attempt(url: str) -> int:
        try:
            async with websockets.connect(url):
                return 101
        except InvalidStatus as error:
            return error.response.status_code

    assert asyncio.run(attempt(outputs["WebSocketUrl"])) == 401
    assert asyncio.run(attempt(outputs["WebSocketUrl"] + "?key=deny")) == 403


def test_connect_route_post_to_connection_disconnect_then_410(outputs: dict[str, str], sqs) -> None:  # noqa: ANN001
    management = _management(outputs)

    async def session() -> tuple[dict, dict, str]:
        async with websockets.connect(outputs["WebSocketUrl"] + "?key=wsuser") as socket:
            await socket.send(json.dumps({"action": "echo", "text": "hi"}))
            routed = json.loads(await asyncio.wait_for(socket.recv(), 15))
            await socket.send("not json: goes to $default")
            default = json.loads(await asyncio.wait_for(socket.recv(), 15))
            connection_id = routed["connectionId"]
            info = await asyncio.to_thread(management.get_connection, ConnectionId=connection_id)
            assert "ConnectedAt" in info
            await asyncio.to_thread(management.post_to_connection, ConnectionId=connection_id, Data=b"pushed")
            assert await asyncio.wait_for(socket.recv(), 15) == "pushed"
            return routed, default, connection_id

    routed, default, connection_id = asyncio.run(session())
    assert routed["route"] == "echo" and routed["tenantId"] == "tenant-wsuser"
    assert default["route"] == "$default"
    recorded = _events(sqs, outputs["EventsQueueUrl"], connection_id, {"$connect", "$disconnect"})
    assert set(recorded) == {"$connect", "$disconnect"}
    assert recorded["$connect"]["authorizer"]["tenantId"] == "tenant-wsuser"
    assert recorded["$disconnect"]["authorizer"]["tenantId"] == "tenant-wsuser"
    with pytest.raises(ClientError) as gone:
        management.post_to_connection(ConnectionId=connection_id, Data=b"late")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_delete_connection_closes_it_and_oversized_message_closes_1009(outputs: dict[str, str]) -> None:
    management = _management(outputs)

    async def session() -> tuple[int | None, int | None]:
        async with websockets.connect(outputs["WebSocketUrl"] + "?key=deleter") as socket:
            await socket.send(json.dumps({"action": "echo"}))
            connection_id = json.loads(await asyncio.wait_for(socket.recv(), 15))["connectionId"]
            await asyncio.to_thread(management.delete_connection, ConnectionId=connection_id)
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 15)
            deleted_code = socket.close_code
        async with websockets.connect(outputs["WebSocketUrl"] + "?key=big", max_size=None) as socket:
            await socket.send("x" * (128 * 1024 + 1))
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 15)
            return deleted_code, socket.close_code

    deleted_code, oversized_code = asyncio.run(session())
    assert deleted_code == 1000
    assert oversized_code == 1009


def test_idle_connection_is_closed(outputs: dict[str, str]) -> None:
    async def session() -> int | None:
        async with websockets.connect(outputs["WebSocketUrl"] + "?key=idle", ping_interval=None) as socket:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), WS_IDLE_TIMEOUT_S + 10)
            return socket.close_code

    assert asyncio.run(session()) == 1001
