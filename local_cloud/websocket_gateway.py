"""Plays an API Gateway WebSocket API and its @connections management endpoint from the template.

Clients connect to ws://127.0.0.1:<port>/<stage>; functions reach the management API at
http://127.0.0.1:<port>/<stage>/@connections/{id} (boto3 `apigatewaymanagementapi` with that endpoint).
Kept from AWS: `$connect` runs the route's authorizer (401/403 refuse the upgrade) and function (a non-2xx
answer refuses it); messages pick a route through the route selection expression (`$request.body.x`), else
`$default`, else an error frame; `$disconnect` runs once after any close; the authorizer context reaches every
route; route responses are sent back when the route declares a response selection expression; messages over
128 KB close the connection (1009); an idle connection closes after 10 minutes and any after 2 hours;
POST/GET/DELETE @connections, with 410 GoneException for an unknown or closed connection and 413 over 128 KB.

Subprotocols, as API Gateway: the authorizer and $connect see the client's `Sec-WebSocket-Protocol` header, and
the upgrade answers with the one subprotocol $connect's response names in its `Sec-WebSocket-Protocol` header
(only that header of its response reaches the client); when $connect names none, the upgrade answers with none,
even if the client offered some (a browser then fails the handshake: "Sent non-empty 'Sec-WebSocket-Protocol'
header but no response was received"). The offer may hold an API key (`speech.v1, <key>`): nothing here logs it.

A connection's invocations: API Gateway does not wait for one message's invocation before it invokes the next,
so they may overlap. Here a message waits for the previous one's invocation to end, or to answer through
@connections and go on running (OVERLAP_AFTER_ANSWER_S): an invocation that streams answers while it keeps
working (streaming TTS, sentence after sentence) lets the next message (a `clear`) run beside it, as in AWS;
one that answers at its end keeps its order and its warm environment. $disconnect runs after the connection's
invocations end.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.log import ws_logger

from local_cloud.cfn_intrinsics import ACCOUNT_ID, REGION
from local_cloud.gateway_authorizers import AuthorizerRunner, RequestIdentity
from local_cloud.lambda_workers import FunctionPool, ThrottledError
from local_cloud.runtime_plan import WebSocketApiSpec

MAX_MESSAGE_BYTES = 128 * 1024
IDLE_TIMEOUT_S = 10 * 60
MAX_CONNECTION_S = 2 * 60 * 60
#: an invocation still running this long after an @connections answer lets the connection's next message run
#: (one that answers and returns keeps its warm environment for the next message)
OVERLAP_AFTER_ANSWER_S = 0.1


class _OfferNotLogged(logging.Filter):
    """aiohttp warns with the client's whole subprotocol offer when $connect selected none of it; the offer may
    hold an API key (`speech.v1, <key>`), so that warning is dropped (the handshake itself answers as AWS does)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Client protocols" not in str(record.msg)


ws_logger.addFilter(_OfferNotLogged())


@dataclass
class Connection:
    connection_id: str
    socket: web.WebSocketResponse
    connected_at: float
    source_ip: str
    user_agent: str | None
    authorizer: dict[str, Any] | None
    last_active_at: float = field(default_factory=time.time)
    closed: bool = False
    #: set when the invocation of the connection's latest message ends or answers through @connections
    latest_released: asyncio.Event | None = None
    #: the event of the invocation running last started (its @connections answers release the next message)
    answering: asyncio.Event | None = None
    in_flight: set[asyncio.Task[None]] = field(default_factory=set)


class WebSocketGateway:
    """One WebSocket API stage and its management endpoint; `app` is its aiohttp application."""

    def __init__(
        self,
        spec: WebSocketApiSpec,
        pools: dict[str, FunctionPool],
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        max_connection_s: float = MAX_CONNECTION_S,
    ) -> None:
        self.spec = spec
        self.pools = pools
        self.idle_timeout_s = idle_timeout_s
        self.max_connection_s = max_connection_s
        self.authorizers = {lid: AuthorizerRunner(a, pools[a.function]) for lid, a in spec.authorizers.items()}
        self.connections: dict[str, Connection] = {}
        self.app = web.Application(client_max_size=MAX_MESSAGE_BYTES + 1)
        stage = f"/{spec.stage}"
        self.app.router.add_get(stage, self.handle_connect)
        self.app.router.add_route("*", stage + "/@connections/{connection_id}", self.handle_management)
        self.domain = ""

    # --- client side ---------------------------------------------------------------------------------
    def _context(
        self,
        route_key: str,
        event_type: str,
        connection_id: str,
        request_id: str,
        connected_at: float,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = time.time()
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "connectionId": connection_id,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "messageDirection": "IN",
            "stage": self.spec.stage,
            "apiId": self.spec.api_id,
            "domainName": self.domain,
            "connectedAt": int(connected_at * 1000),
            "requestTimeEpoch": int(now * 1000),
            "requestTime": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            **(extra or {}),
        }

    async def handle_connect(self, request: web.Request) -> web.StreamResponse:
        self.domain = request.host
        connection_id = secrets.token_urlsafe(12)
        request_id = str(uuid.uuid4())
        connected_at = time.time()
        headers = {k: v for k, v in request.headers.items()}
        query = dict(request.query)
        source_ip, user_agent = request.remote or "127.0.0.1", request.headers.get("User-Agent")
        identity = {"sourceIp": source_ip, "userAgent": user_agent}
        context = self._context("$connect", "CONNECT", connection_id, request_id, connected_at, {"identity": identity})
        connect_event = {
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
            "stageVariables": None,
            "requestContext": context,
            "isBase64Encoded": False,
        }
        authorizer_context: dict[str, Any] | None = None
        route = self.spec.routes.get("$connect")
        if route and route.authorizer:
            method_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{self.spec.api_id}/{self.spec.stage}/$connect"
            decision = await self.authorizers[route.authorizer].authorize(
                RequestIdentity(headers={k.lower(): v for k, v in headers.items()}, query=query),
                method_arn,
                connect_event,
            )
            if decision.outcome == "unauthorized":
                return web.json_response({"message": "Unauthorized"}, status=401)
            if decision.outcome == "deny":
                return web.json_response({"message": "Forbidden"}, status=403)
            if decision.outcome == "error":
                return web.json_response({"message": "Internal server error"}, status=500)
            authorizer_context = {"principalId": decision.principal_id, **decision.context}
            context["authorizer"] = authorizer_context
        subprotocol: str | None = None
        if route:
            status, subprotocol = await self._call_connect(route.function, connect_event)
            if not 200 <= status < 300:
                return web.json_response(
                    {"message": "Forbidden" if status == 403 else "Internal server error"}, status=status
                )
        # no permessage-deflate, as API Gateway (compressing a large answer also waits on a busy executor here)
        socket = web.WebSocketResponse(
            max_msg_size=MAX_MESSAGE_BYTES,
            autoping=True,
            compress=False,
            protocols=(subprotocol,) if subprotocol else (),
        )
        await socket.prepare(request)
        connection = Connection(connection_id, socket, connected_at, source_ip, user_agent, authorizer_context)
        self.connections[connection_id] = connection
        close_code, reason = 1000, "Client closed"
        try:
            close_code, reason = await self._receive_loop(connection)
        finally:
            connection.closed = True
            self.connections.pop(connection_id, None)
            if connection.in_flight:  # invocations of messages received before the close still run
                await asyncio.gather(*connection.in_flight, return_exceptions=True)
            await self._disconnect(connection, close_code, reason)
        return socket

    async def _receive_loop(self, connection: Connection) -> tuple[int, str]:
        socket = connection.socket
        ends_at = connection.connected_at + self.max_connection_s
        while True:
            timeout = min(self.idle_timeout_s, max(0.0, ends_at - time.time()))
            try:
                message = await socket.receive(timeout=timeout)
            except TimeoutError:
                reason = "Going away: idle timeout" if time.time() < ends_at else "Going away: connection duration"
                await socket.close(code=1001, message=reason.encode())
                return 1001, reason
            if message.type == WSMsgType.TEXT:
                self._dispatch(connection, message.data, is_binary=False)
            elif message.type == WSMsgType.BINARY:
                self._dispatch(connection, base64.b64encode(message.data).decode(), is_binary=True)
            elif message.type == WSMsgType.ERROR:
                # aiohttp closes a too-large message with 1009, like API Gateway
                return int(socket.close_code or 1009), str(socket.exception() or "error")
            else:  # CLOSE, CLOSING, CLOSED
                return int(socket.close_code or 1000), "Client closed"

    def _dispatch(self, connection: Connection, body: str, is_binary: bool) -> None:
        """Invokes the message's route once the previous message's invocation ended or answered."""
        previous, released = connection.latest_released, asyncio.Event()
        connection.latest_released = released
        task = asyncio.create_task(self._route_in_turn(connection, body, is_binary, previous, released))
        connection.in_flight.add(task)
        task.add_done_callback(connection.in_flight.discard)

    async def _route_in_turn(
        self,
        connection: Connection,
        body: str,
        is_binary: bool,
        previous: asyncio.Event | None,
        released: asyncio.Event,
    ) -> None:
        try:
            if previous is not None:
                await previous.wait()
            connection.answering = released
            with contextlib.suppress(ConnectionResetError):  # the client left; $disconnect follows
                await self._route_message(connection, body, is_binary)
        finally:
            released.set()

    def _select_route(self, body: str) -> str:
        expression = self.spec.route_selection_expression
        if expression.startswith("$request.body."):
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                value: Any = json.loads(body)
                for key in expression.removeprefix("$request.body.").split("."):
                    value = value[key]
                if isinstance(value, str) and value in self.spec.routes:
                    return value
        return "$default"

    async def _route_message(self, connection: Connection, body: str, is_binary: bool) -> None:
        connection.last_active_at = time.time()
        route_key = "$default" if is_binary else self._select_route(body)
        request_id = str(uuid.uuid4())
        route = self.spec.routes.get(route_key)
        if route is None:
            await connection.socket.send_str(
                json.dumps({"message": "Forbidden", "connectionId": connection.connection_id, "requestId": request_id})
            )
            return
        extra: dict[str, Any] = {
            "messageId": secrets.token_urlsafe(8),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        }
        if connection.authorizer is not None:
            extra["authorizer"] = connection.authorizer
        event = {
            "requestContext": self._context(
                route_key, "MESSAGE", connection.connection_id, request_id, connection.connected_at, extra
            ),
            "body": body,
            "isBase64Encoded": is_binary,
        }
        try:
            result = await self.pools[route.function].invoke(event)
        except ThrottledError:
            result = None
        if result is None or not result.ok:
            await connection.socket.send_str(
                json.dumps(
                    {
                        "message": "Internal server error",
                        "connectionId": connection.connection_id,
                        "requestId": request_id,
                    }
                )
            )
            return
        if route.returns_response and isinstance(result.payload, dict) and result.payload.get("body") is not None:
            await connection.socket.send_str(str(result.payload["body"]))

    async def _disconnect(self, connection: Connection, code: int, reason: str) -> None:
        route = self.spec.routes.get("$disconnect")
        if not route:
            return
        extra: dict[str, Any] = {
            "disconnectStatusCode": code,
            "disconnectReason": reason,
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        }
        if connection.authorizer is not None:
            extra["authorizer"] = connection.authorizer
        event = {
            "headers": {},
            "requestContext": self._context(
                "$disconnect", "DISCONNECT", connection.connection_id, str(uuid.uuid4()), connection.connected_at, extra
            ),
            "isBase64Encoded": False,
        }
        with contextlib.suppress(ThrottledError):
            await self.pools[route.function].invoke(event, wait_for_slot=True)

    async def _call_connect(self, function: str, event: dict[str, Any]) -> tuple[int, str | None]:
        """$connect's status code and the subprotocol its response headers select (None when none)."""
        try:
            result = await self.pools[function].invoke(event)
        except ThrottledError:
            return 500, None
        if not result.ok:
            return 500, None
        answer = result.payload
        if not isinstance(answer, dict):
            return 200, None  # a $connect function answering without a status code accepts the connection
        headers = answer.get("headers")
        headers = headers if isinstance(headers, dict) else {}
        subprotocol = next((str(v) for k, v in headers.items() if k.lower() == "sec-websocket-protocol" and v), None)
        status = int(answer["statusCode"]) if isinstance(answer.get("statusCode"), int) else 200
        return status, subprotocol

    # --- management API (@connections) ---------------------------------------------------------------
    async def handle_management(self, request: web.Request) -> web.StreamResponse:
        connection = self.connections.get(request.match_info["connection_id"])
        if connection is None or connection.closed or connection.socket.closed:
            return web.json_response({"message": None}, status=410, headers={"x-amzn-ErrorType": "GoneException"})
        if request.method == "POST":
            data = await request.read()
            if len(data) > MAX_MESSAGE_BYTES:
                return web.json_response(
                    {"message": "Message too long"},
                    status=413,
                    headers={"x-amzn-ErrorType": "PayloadTooLargeException"},
                )
            try:
                await connection.socket.send_str(data.decode("utf-8"))
            except UnicodeDecodeError:
                await connection.socket.send_bytes(data)
            except ConnectionResetError:
                return web.json_response({"message": None}, status=410, headers={"x-amzn-ErrorType": "GoneException"})
            if connection.answering is not None:  # it answers and goes on working: the next message runs beside it
                asyncio.get_running_loop().call_later(OVERLAP_AFTER_ANSWER_S, connection.answering.set)
            return web.Response(status=200)
        if request.method == "GET":
            return web.json_response(
                {
                    "connectedAt": datetime.fromtimestamp(connection.connected_at, UTC).isoformat(),
                    "lastActiveAt": datetime.fromtimestamp(connection.last_active_at, UTC).isoformat(),
                    "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
                }
            )
        if request.method == "DELETE":
            connection.closed = True
            await connection.socket.close(code=1000, message=b"Connection deleted")
            return web.Response(status=204)
        return web.json_response({"message": "Method not allowed"}, status=405)
