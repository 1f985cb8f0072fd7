"""Where a request carries its API key (standard library only: the authorizers import it at cold start).

`x-api-key: <key>`, ULCA's `ulcaApiKey: <key>` (config discovery), `Authorization: Bearer <key>`, Dhruva's and
Bhashini's raw `Authorization: <key>`, or (WebSocket, where browsers cannot set headers) a query parameter.
"""

from __future__ import annotations

#: query parameters a WebSocket client may use instead of a header
QUERY_KEY_NAMES = ("key", "api_key", "apiKey")
#: headers holding the bare key, in the order they are read (before `Authorization`)
KEY_HEADERS = ("x-api-key", "ulcaapikey")


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
