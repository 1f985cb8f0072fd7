"""The local WebSocket gateway's order of a connection's invocations: a message waits for the previous one's
invocation to end, unless that invocation answered through @connections and kept running (as API Gateway,
which overlaps a connection's invocations); $disconnect runs after the invocations in flight."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from local_cloud.lambda_workers import InvokeResult
from local_cloud.websocket_gateway import OVERLAP_AFTER_ANSWER_S, WebSocketGateway
from tests.unit.local_cloud.websocket_api_specs import stream_api

#: how long a fake invocation runs
WORK_S = 0.6


@dataclass
class FakePool:
    """Plays the stream function: `answer-and-work` answers through @connections, then works on; `work` only
    works. Records when each invocation started and ended."""

    port: int = 0
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)

    async def invoke(self, event: dict[str, Any], *, wait_for_slot: bool = False) -> InvokeResult:
        context = event["requestContext"]
        name = json.loads(event["body"])["name"] if event.get("body") else context["routeKey"]
        started = time.monotonic()
        if event.get("body") and json.loads(event["body"])["action"] == "answer-and-work":
            url = f"http://127.0.0.1:{self.port}/local/@connections/{context['connectionId']}"
            async with aiohttp.ClientSession() as session, session.post(url, data=b'{"type": "audio"}') as answer:
                assert answer.status == 200
        await asyncio.sleep(WORK_S)
        self.spans[name] = (started, time.monotonic())
        return InvokeResult(request_id=context["requestId"], payload={"statusCode": 200})


def gateway(pool: FakePool) -> WebSocketGateway:
    spec = stream_api(("$default", "$disconnect"))
    return WebSocketGateway(spec, {"stream": pool})  # type: ignore[dict-item]


async def run(messages: list[dict[str, str]]) -> dict[str, tuple[float, float]]:
    pool = FakePool()
    runner = web.AppRunner(gateway(pool).app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    pool.port = runner.addresses[0][1]
    try:
        url = f"http://127.0.0.1:{pool.port}/local"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as socket:
            for message in messages:
                await socket.send_str(json.dumps(message))
            await asyncio.sleep(0.05)
        deadline = time.monotonic() + 10
        while "$disconnect" not in pool.spans and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return pool.spans
    finally:
        await runner.cleanup()


def test_a_message_waits_for_the_previous_invocation_to_end():
    spans = asyncio.run(run([{"action": "work", "name": "first"}, {"action": "work", "name": "second"}]))
    assert spans["second"][0] >= spans["first"][1]


def test_a_message_runs_beside_an_invocation_that_answered_and_works_on():
    spans = asyncio.run(run([{"action": "answer-and-work", "name": "speaking"}, {"action": "work", "name": "clear"}]))
    (speaking_start, speaking_end), (clear_start, _) = spans["speaking"], spans["clear"]
    assert speaking_start + OVERLAP_AFTER_ANSWER_S <= clear_start < speaking_end


def test_disconnect_runs_after_the_invocations_in_flight():
    spans = asyncio.run(run([{"action": "work", "name": "first"}, {"action": "work", "name": "second"}]))
    assert spans["$disconnect"][0] >= max(spans["first"][1], spans["second"][1])
