"""Plays an API Gateway REST API (Lambda proxy integration, payload format 1.0) from the template.

Served at http://127.0.0.1:<port>/<stage>/<resource path>. Kept from AWS: routes and methods (incl. ANY,
{param} and {proxy+}) from AWS::ApiGateway::Resource/Method; unknown routes answer 403 "Missing
Authentication Token"; the proxy event (headers, multi-value headers and query, path parameters,
requestContext with the authorizer's context); binary media types (request body base64-encoded, response
decoded when isBase64Encoded); the stage-wide throttle (rate and burst, 429); Lambda authorizers (see
gateway_authorizers.py); 10 MB payload limit (413); the integration timeout (29 s by default, 504); function errors
and malformed answers as 502; a throttled function as 500; MOCK integrations (CORS preflight); gateway
responses (error bodies) from AWS::ApiGateway::GatewayResponse.
"""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from local_cloud.cfn_intrinsics import ACCOUNT_ID, REGION
from local_cloud.gateway_authorizers import AuthorizerRunner, RequestIdentity
from local_cloud.lambda_workers import FunctionPool, ThrottledError
from local_cloud.runtime_plan import RestApiSpec, RestMethodSpec

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024


@dataclass
class TokenBucket:
    """API Gateway's stage throttle: `rate` requests per second refilled, up to `burst` at once."""

    rate: float
    burst: int
    tokens: float = 0.0
    updated: float = 0.0

    def __post_init__(self) -> None:
        self.tokens, self.updated = float(self.burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class _Route:
    method: RestMethodSpec
    pattern: re.Pattern[str]
    specificity: tuple[int, int]


def _compile(resource_path: str) -> tuple[re.Pattern[str], tuple[int, int]]:
    regex, literals, greedy = "", 0, 0
    for part in [p for p in resource_path.split("/") if p]:
        if part.startswith("{") and part.endswith("+}"):
            regex += f"/(?P<{part[1:-2]}>.+)"
            greedy += 1
        elif part.startswith("{"):
            regex += f"/(?P<{part[1:-1]}>[^/]+)"
        else:
            regex += "/" + re.escape(part)
            literals += 1
    return re.compile((regex or "/") + "/?" if regex else "/?"), (-greedy, literals)


def _json(status: int, body: dict[str, Any], request_id: str, extra: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers={"x-amzn-RequestId": request_id, **(extra or {})})


#: API Gateway's own error responses: response type -> (status, default body key, error type header)
_GATEWAY_ERRORS: dict[str, tuple[int, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "message", "MissingAuthenticationTokenException"),
    "UNAUTHORIZED": (401, "message", "UnauthorizedException"),
    "ACCESS_DENIED": (403, "Message", "AccessDeniedException"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "message", "AuthorizerConfigurationException"),
    "REQUEST_TOO_LARGE": (413, "message", "RequestTooLargeException"),
    "INTEGRATION_TIMEOUT": (504, "message", "InternalServerErrorException"),
    "INTEGRATION_FAILURE": (502, "message", "InternalServerErrorException"),
    "THROTTLED": (429, "message", "TooManyRequestsException"),
    "DEFAULT_5XX": (500, "message", "InternalServerErrorException"),
}


class RestGateway:
    """One REST API stage; `app` is its aiohttp application."""

    def __init__(self, spec: RestApiSpec, pools: dict[str, FunctionPool]) -> None:
        self.spec = spec
        self.pools = pools
        self.authorizers = {lid: AuthorizerRunner(a, pools[a.function]) for lid, a in spec.authorizers.items()}
        self.routes = sorted(
            (_Route(m, *_compile(m.resource_path)) for m in spec.methods), key=lambda r: r.specificity, reverse=True
        )
        self.app = web.Application(client_max_size=MAX_PAYLOAD_BYTES + 1)
        self.app.router.add_route("*", "/{tail:.*}", self.handle)
        self._background: set[asyncio.Task[Any]] = set()
        self.throttle = (
            TokenBucket(spec.throttle_rate, spec.throttle_burst or int(spec.throttle_rate))
            if spec.throttle_rate
            else None
        )

    def _gateway_error(
        self,
        response_type: str,
        message: str | None,
        request_id: str,
        authorizer: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> web.Response:
        """An error API Gateway itself answers, shaped by the template's GatewayResponse when it has one
        (falling back to DEFAULT_4XX / DEFAULT_5XX, as AWS does)."""
        default_status, body_key, error_type = _GATEWAY_ERRORS[response_type]
        status = status or default_status
        fallback = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        custom = self.spec.gateway_responses.get(response_type) or self.spec.gateway_responses.get(fallback)
        headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": error_type}
        if custom is None or "application/json" not in custom.templates:
            if custom is not None:
                headers.update(custom.headers)
            return web.json_response(
                {body_key: message}, status=custom.status if custom and custom.status else status, headers=headers
            )
        variables = {
            "$context.requestId": request_id,
            "$context.error.responseType": response_type,
            "$context.error.messageString": json.dumps(message),
            "$context.error.message": message or "",
        }
        for name, value in (authorizer or {}).items():
            variables[f"$context.authorizer.{name}"] = str(value)
        body = custom.templates["application/json"]
        for name in sorted(variables, key=len, reverse=True):  # longest first: messageString before message
            body = body.replace(name, variables[name])
        headers.update(custom.headers)
        return web.Response(status=custom.status or status, text=body, content_type="application/json", headers=headers)

    def _match(self, path: str, method: str) -> tuple[_Route, dict[str, str]] | None | bool:
        """(route, path params); False when the path exists but not the method; None when nothing matches."""
        path_found = False
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if not match:
                continue
            path_found = True
            if route.method.http_method in (method, "ANY"):
                return route, match.groupdict()
        return False if path_found else None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        request_id = str(uuid.uuid4())
        started = time.time()
        stage_prefix = f"/{self.spec.stage}"
        raw_path = request.path
        if raw_path != stage_prefix and not raw_path.startswith(stage_prefix + "/"):
            return self._gateway_error("MISSING_AUTHENTICATION_TOKEN", "Forbidden", request_id)
        path = raw_path[len(stage_prefix) :] or "/"
        length = request.content_length
        if length is not None and length > MAX_PAYLOAD_BYTES:
            return self._gateway_error("REQUEST_TOO_LARGE", "Request Too Long", request_id)
        found = self._match(path, request.method)
        if not found:
            return self._gateway_error("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token", request_id)
        assert isinstance(found, tuple)
        if self.throttle is not None and not self.throttle.take():
            return self._gateway_error("THROTTLED", "Too Many Requests", request_id)
        route, path_params = found
        try:
            body_bytes = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._gateway_error("REQUEST_TOO_LARGE", "Request Too Long", request_id)

        method = route.method
        method_arn = (
            f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{self.spec.api_id}/{self.spec.stage}/{request.method}{path}"
        )
        event = self._event(request, body_bytes, method, path, path_params, request_id, started)
        if method.authorization_type == "CUSTOM" and method.authorizer:
            runner = self.authorizers[method.authorizer]
            identity = RequestIdentity(
                headers={k.lower(): v for k, v in request.headers.items()}, query=dict(request.query)
            )
            request_fields = {
                k: event[k]
                for k in (
                    "resource",
                    "path",
                    "httpMethod",
                    "headers",
                    "multiValueHeaders",
                    "queryStringParameters",
                    "multiValueQueryStringParameters",
                    "pathParameters",
                    "stageVariables",
                    "requestContext",
                )
            }
            decision = await runner.authorize(identity, method_arn, request_fields)
            if decision.outcome == "unauthorized":
                return self._gateway_error("UNAUTHORIZED", "Unauthorized", request_id)
            if decision.outcome == "deny":
                return self._gateway_error("ACCESS_DENIED", decision.message, request_id, decision.context)
            if decision.outcome == "error":
                print(f"[rest] authorizer error: {decision.message}", flush=True)
                return self._gateway_error("AUTHORIZER_CONFIGURATION_ERROR", None, request_id)
            event["requestContext"]["authorizer"] = {
                "principalId": decision.principal_id,
                **decision.context,
                "integrationLatency": int((time.time() - started) * 1000),
            }
        if method.integration_type == "MOCK":
            return web.Response(status=method.mock_status, headers=method.mock_headers)
        if method.integration_type != "AWS_PROXY" or not method.function:
            return _json(
                500, {"message": f"integration type {method.integration_type} is not played locally"}, request_id
            )
        return await self._invoke(method, event, request, request_id)

    async def _invoke(
        self, method: RestMethodSpec, event: dict[str, Any], request: web.Request, request_id: str
    ) -> web.StreamResponse:
        assert method.function is not None
        task = asyncio.ensure_future(self.pools[method.function].invoke(event))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        try:
            # shielded: past the integration timeout the function keeps running, as on AWS
            result = await asyncio.wait_for(asyncio.shield(task), timeout=method.timeout_ms / 1000)
        except TimeoutError:
            return self._gateway_error("INTEGRATION_TIMEOUT", "Endpoint request timed out", request_id)
        except ThrottledError:
            return self._gateway_error("DEFAULT_5XX", "Internal server error", request_id)
        if not result.ok:
            return self._gateway_error("INTEGRATION_FAILURE", "Internal server error", request_id, status=502)
        return self._response(result.payload, request, request_id)

    def _response(self, answer: Any, request: web.Request, request_id: str) -> web.StreamResponse:
        if not isinstance(answer, dict) or not isinstance(answer.get("statusCode", 200), int):
            return self._gateway_error("INTEGRATION_FAILURE", "Internal server error", request_id, status=502)
        status = int(answer.get("statusCode", 200))
        response = web.Response(status=status)
        for name, value in (answer.get("headers") or {}).items():
            response.headers[name] = str(value)
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            for value in values:
                response.headers.add(name, str(value))
        response.headers.setdefault("x-amzn-RequestId", request_id)
        body = answer.get("body")
        if body is None:
            return response
        if not isinstance(body, str):
            return self._gateway_error("INTEGRATION_FAILURE", "Internal server error", request_id, status=502)
        if answer.get("isBase64Encoded") and self._binary_wanted(request, response.headers.get("Content-Type")):
            response.body = base64.b64decode(body)
        else:
            response.body = body.encode()
        return response

    def _binary_wanted(self, request: web.Request, content_type: str | None) -> bool:
        accepted = [a.split(";")[0].strip() for a in request.headers.get("Accept", "").split(",") if a.strip()]
        return any(self._is_binary(a) for a in accepted) or (content_type is not None and self._is_binary(content_type))

    def _is_binary(self, media_type: str) -> bool:
        media_type = media_type.split(";")[0].strip().lower()
        return any(fnmatch.fnmatchcase(media_type, pattern.lower()) for pattern in self.spec.binary_media_types)

    def _event(
        self,
        request: web.Request,
        body: bytes,
        method: RestMethodSpec,
        path: str,
        path_params: dict[str, str],
        request_id: str,
        started: float,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers[name] = value
            multi_headers.setdefault(name, []).append(value)
        query = {k: v for k, v in request.query.items()}
        multi_query: dict[str, list[str]] = {}
        for name, value in request.query.items():
            multi_query.setdefault(name, []).append(value)
        is_binary = bool(body) and self._is_binary(request.headers.get("Content-Type", ""))
        if is_binary:
            body_text: str | None = base64.b64encode(body).decode()
        else:
            body_text = body.decode("utf-8", errors="replace") if body else None
        now = datetime.now(UTC)
        return {
            "resource": method.resource_path,
            "path": path,
            "httpMethod": request.method,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_params or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": self.spec.api_id,
                "resourceId": method.resource_path,
                "stage": self.spec.stage,
                "requestId": request_id,
                "extendedRequestId": request_id,
                "resourcePath": method.resource_path,
                "httpMethod": request.method,
                "path": f"/{self.spec.stage}{path}",
                "protocol": f"HTTP/{request.version.major}.{request.version.minor}",
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(started * 1000),
                "domainName": request.host,
                "identity": {
                    "sourceIp": request.remote or "127.0.0.1",
                    "userAgent": request.headers.get("User-Agent"),
                    "apiKey": None,
                    "accessKey": None,
                    "caller": None,
                    "user": None,
                    "userArn": None,
                },
            },
            "body": body_text,
            "isBase64Encoded": is_binary,
        }
