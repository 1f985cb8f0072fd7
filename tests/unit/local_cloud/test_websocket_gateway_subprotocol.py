"""The local WebSocket gateway's subprotocols, as API Gateway: the authorizer and $connect see the client's
`Sec-WebSocket-Protocol`, the upgrade answers with the subprotocol $connect's response names (none when it names
none, whatever the client offered), and the offer, which may hold a key, reaches no log."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from functions.authorizer.api_key_policy import connection_key_of, policy
from functions.stream.handle_stream_event import connect_answer
from local_cloud.lambda_workers import InvokeResult
from local_cloud.websocket_gateway import WebSocketGateway
from speech_core.keys.key_headers import offered_subprotocols
from tests.unit.local_cloud.websocket_api_specs import stream_api

KEY = "spk_abcdefghijkl_" + "x" * 40


@dataclass
class FakeAuthorizer:
    """Plays the $connect authorizer with its real key lookup: Allow for KEY, Unauthorized without a key."""

    events: list[dict[str, Any]] = field(default_factory=list)

    async def invoke(self, event: dict[str, Any], *, wait_for_slot: bool = False) -> InvokeResult:
        self.events.append(event)
        key = connection_key_of(event.get("headers"), event.get("queryStringParameters"))
        if key is None:
            return InvokeResult(request_id="a", error={"errorType": "Unauthorized", "errorMessage": "Unauthorized"})
        effect = "Allow" if key == KEY else "Deny"
        return InvokeResult(request_id="a", payload=policy("p", effect, event["methodArn"], {"tenantId": "t"}))


@dataclass
class FakeStream:
    """Plays the stream function: $connect answers with the real `connect_answer` unless told to name none."""

    echo: bool = True
    events: list[dict[str, Any]] = field(default_factory=list)

    async def invoke(self, event: dict[str, Any], *, wait_for_slot: bool = False) -> InvokeResult:
        self.events.append(event)
        if event["requestContext"]["routeKey"] == "$connect" and self.echo:
            return InvokeResult(request_id="c", payload=connect_answer(event))
        return InvokeResult(request_id="c", payload={"statusCode": 200})


def gateway(stream: FakeStream, authorizer: FakeAuthorizer) -> WebSocketGateway:
    spec = stream_api(("$connect", "$disconnect"), connect_authorizer="auth")
    return WebSocketGateway(spec, {"stream": stream, "auth": authorizer})  # type: ignore[dict-item]


async def connect(stream: FakeStream, protocols: tuple[str, ...], **query: str) -> tuple[int, str | None]:
    """(101 or the refusal's status, the subprotocol the upgrade answered with)."""
    authorizer = FakeAuthorizer()
    runner = web.AppRunner(gateway(stream, authorizer).app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/local"
    try:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(url, protocols=protocols, params=query) as socket:
                    answered = socket.protocol
                    await socket.close()
            except aiohttp.WSServerHandshakeError as refused:
                return refused.status, None
        # the authorizer saw the offer as the client sent it
        if protocols:
            assert offered_subprotocols(authorizer.events[0]["headers"]) == list(protocols)
        return 101, answered
    finally:
        await runner.cleanup()


def test_the_key_in_the_subprotocol_offer_upgrades_with_speech_v1_echoed() -> None:
    stream = FakeStream()
    assert asyncio.run(connect(stream, ("speech.v1", KEY))) == (101, "speech.v1")
    # $connect saw the offer and the authorizer's context
    connect_event = stream.events[0]
    assert offered_subprotocols(connect_event["headers"]) == ["speech.v1", KEY]
    assert connect_event["requestContext"]["authorizer"]["tenantId"] == "t"


def test_a_wrong_key_or_none_in_the_offer_is_refused_before_any_upgrade() -> None:
    stream = FakeStream()
    assert asyncio.run(connect(stream, ("speech.v1", "spk_wrong"))) == (403, None)
    assert asyncio.run(connect(stream, ("speech.v1",))) == (401, None)
    assert stream.events == []  # $connect never ran


def test_the_query_key_still_upgrades_without_a_subprotocol() -> None:
    assert asyncio.run(connect(FakeStream(), (), key=KEY)) == (101, None)


def test_connect_naming_no_subprotocol_upgrades_with_none_and_logs_no_offer(caplog: pytest.LogCaptureFixture) -> None:
    # as API Gateway: the 101 carries no Sec-WebSocket-Protocol (a browser then fails the handshake itself)
    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(connect(FakeStream(echo=False), ("speech.v1", KEY))) == (101, None)
    assert KEY not in caplog.text
