"""Where a request carries its API key (standard library only: the authorizers import it at cold start).

`x-api-key: <key>`, ULCA's `ulcaApiKey: <key>` (config discovery), `Authorization: Bearer <key>`, Dhruva's and
Bhashini's raw `Authorization: <key>`. A WebSocket upgrade may also carry it where browsers can put it:
`Sec-WebSocket-Protocol: speech.v1, <key>` (what `new WebSocket(url, ["speech.v1", key])` sends; the server
answers with `speech.v1` alone, so the key is never echoed), or a `?key=` query parameter (kept for clients that
used it; a URL ends up in histories and proxy logs, the subprotocol does not).

Why a subprotocol can carry a key: RFC 6455 subprotocol names are RFC 7230 tokens, and every key is one
(`spk_<a-z0-9>_<A-Za-z0-9_->`, speech_core.keys.key_material.KEY_PATTERN).
"""

from __future__ import annotations

#: query parameters a WebSocket client may use instead of a header
QUERY_KEY_NAMES = ("key", "api_key", "apiKey")
#: headers holding the bare key, in the order they are read (before `Authorization`)
KEY_HEADERS = ("x-api-key", "ulcaapikey")
#: the subprotocol a WebSocket client offers beside its key; the only one the server ever selects
STREAM_SUBPROTOCOL = "speech.v1"
SUBPROTOCOL_HEADER = "sec-websocket-protocol"


def offered_subprotocols(headers: dict[str, str] | None) -> list[str]:
    """The subprotocols a WebSocket upgrade offers (`Sec-WebSocket-Protocol`, comma-separated), in order."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == SUBPROTOCOL_HEADER and v), "")
    return [name.strip() for name in value.split(",") if name.strip()]


def subprotocol_key_of(headers: dict[str, str] | None) -> str | None:
    """The key offered beside `speech.v1`: the first other offered name; None when `speech.v1` is not offered."""
    offered = offered_subprotocols(headers)
    if STREAM_SUBPROTOCOL not in offered:
        return None
    return next((name for name in offered if name != STREAM_SUBPROTOCOL), None)


def selected_subprotocol(headers: dict[str, str] | None) -> str | None:
    """What a `$connect` answer selects: `speech.v1` when offered, else none (never the key)."""
    return STREAM_SUBPROTOCOL if STREAM_SUBPROTOCOL in offered_subprotocols(headers) else None


def api_key_of(headers: dict[str, str] | None, query: dict[str, str] | None = None) -> str | None:
    """The key from the headers (see the module docstring) or a query parameter; None when none is given."""
    lowered = {k.lower(): v for k, v in (headers or {}).items() if v}
    for name in KEY_HEADERS:
        if lowered.get(name, "").strip():
            return lowered[name].strip()
    authorization = lowered.get("authorization", "").strip()
    if authorization:
        scheme, _, rest = authorization.partition(" ")
        return rest.strip() if scheme.lower() == "bearer" and rest.strip() else authorization
    for name in QUERY_KEY_NAMES:
        if (query or {}).get(name):
            return str((query or {})[name]).strip()
    return None


def connection_key_of(headers: dict[str, str] | None, query: dict[str, str] | None = None) -> str | None:
    """A WebSocket upgrade's key: a header, else the `speech.v1` subprotocol's key, else `?key=`."""
    return api_key_of(headers) or subprotocol_key_of(headers) or api_key_of(None, query)
