"""The body gate: every route that takes a body reads it here, once, before any work is done.

API Gateway hands the body over as a string, base64-encoded when `isBase64Encoded` is set. This decodes it
(strictly: not base64 is a 400), holds it to MAX_BODY_BYTES before and after decoding, and reads it with
`contracts.parsing.read_json_object` (UTF-8, nesting, number length, duplicate keys, NUL and unpaired
surrogates, a JSON object at the top). The model validation that follows keeps its precise codes.

The Content-Type header is not consulted: a body is always read as UTF-8 JSON (RFC 8259 §8.1), whatever type
or charset the client declared or left out. Routes without a body (GET) ignore one.

`GatedRequestValidation` puts the gate into Powertools' request validation: it is that middleware with its
body reader (`_get_body`, which would branch on the Content-Type and let `json.loads` and base64/UTF-8
decoding errors escape as 500s) replaced. `http_app.build_app` installs it; the route tests would fail if a
Powertools upgrade stopped calling it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware

from speech_core.contracts.limits import MAX_BODY_BYTES
from speech_core.contracts.parsing import body_refused, body_too_large, read_json_object
from speech_core.errors import SpeechError

#: characters of base64 that can decode to at most MAX_BODY_BYTES
_MAX_BASE64_CHARS = 4 * -(-MAX_BODY_BYTES // 3)


def json_body(event: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object in an API Gateway proxy event's body, or a RequestError (4xx)."""
    body = event.get("body") or ""
    if not isinstance(body, str):  # API Gateway always sends a string; anything else is a broken caller
        raise body_refused("body_invalid", "the body is not text")
    if not event.get("isBase64Encoded"):
        return read_json_object(body)
    if len(body) > _MAX_BASE64_CHARS:
        raise body_too_large()  # before decoding it
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise body_refused("base64_invalid", "the body is marked base64-encoded but is not base64") from None
    return read_json_object(raw)


class GatedRequestValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation (path, query, headers, body against the route's models), reading the
    body through `json_body`; a refused body is reported to `on_refused` (the request log) and raised."""

    def __init__(self, on_refused: Callable[[SpeechError], None]) -> None:
        super().__init__()
        self._on_refused = on_refused

    def _get_body(self, app: Any) -> dict[str, Any]:
        try:
            return json_body(app.current_event.raw_event)
        except SpeechError as error:
            self._on_refused(error)
            raise
