"""A WebSocket API spec for the local gateway's unit tests: every route on one `stream` function."""

from __future__ import annotations

from collections.abc import Iterable

from local_cloud.runtime_plan import AuthorizerSpec, WebSocketApiSpec, WebSocketRouteSpec


def stream_api(route_keys: Iterable[str], connect_authorizer: str | None = None) -> WebSocketApiSpec:
    """Routes `route_keys` to the function `stream` at stage `local`; `$connect` behind a REQUEST authorizer
    run by the function `connect_authorizer` (no identity source, no cache) when one is named."""
    authorizers = (
        {
            "Auth": AuthorizerSpec(
                logical_id="Auth", type="REQUEST", function=connect_authorizer, identity_sources=[], ttl_s=0
            )
        }
        if connect_authorizer
        else {}
    )
    return WebSocketApiSpec(
        logical_id="Ws",
        api_id="ws",
        stage="local",
        route_selection_expression="$request.body.action",
        routes={
            key: WebSocketRouteSpec(
                route_key=key,
                function="stream",
                authorizer="Auth" if key == "$connect" and connect_authorizer else None,
                returns_response=False,
            )
            for key in route_keys
        },
        authorizers=authorizers,
    )
