"""The WebSocket streaming API as an AsyncAPI 3.0 document, generated from the message models.

Every member of `ClientMessage` and `TtsClientMessage` (what the server receives, told apart by `action`)
and every subclass of `ServerMessage` (what it sends, told apart by `type`) becomes a message, named after
its model, whose payload is the model's JSON Schema (camelCase, as on the wire), so the document cannot drift
from the code. Served beside the OpenAPI
document at GET /v1/asyncapi.json.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .streaming import ClientMessage, ServerMessage, TtsClientMessage

ASYNCAPI_VERSION = "3.0.0"
API_TITLE = "Speech platform streaming API (WebSocket)"
API_VERSION = "1.0.0"
_SCHEMA_REF = "#/components/schemas/{model}"


def client_messages() -> list[type[BaseModel]]:
    """The messages a client sends (speech recognition, then speech synthesis), each once."""
    found: list[type[BaseModel]] = []
    for annotated in (ClientMessage, TtsClientMessage):
        union, _field = get_args(annotated)
        found += [model for model in get_args(union) if model not in found]
    return found


def server_messages() -> list[type[BaseModel]]:
    """The messages the server sends: every concrete subclass of ServerMessage (a `type` literal)."""
    found: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = list(ServerMessage.__subclasses__())
    while pending:
        model = pending.pop(0)
        if "type" in model.model_fields and model not in found:
            found.append(model)
        pending.extend(model.__subclasses__())
    return found


def discriminator(model: type[BaseModel]) -> str:
    """The `action` (client) or `type` (server) value that names a message on the wire."""
    field = model.model_fields.get("action") or model.model_fields["type"]
    (value,) = get_args(field.annotation)
    return str(value)


def _message(model: type[BaseModel], direction: str) -> dict[str, Any]:
    doc = (model.__doc__ or "").strip()
    return {
        "name": discriminator(model),
        "title": f"{model.__name__}: `{discriminator(model)}` ({direction})",
        "summary": doc.splitlines()[0] if doc else discriminator(model),
        "contentType": "application/json",
        "payload": {"$ref": _SCHEMA_REF.format(model=model.__name__)},
    }


def build_asyncapi() -> dict[str, Any]:
    """The streaming API's AsyncAPI 3.0 document (a fresh dict each call)."""
    received, sent = client_messages(), server_messages()
    _, definitions = models_json_schema(
        [(model, "validation") for model in received] + [(model, "serialization") for model in sent],
        by_alias=True,
        ref_template=_SCHEMA_REF,
    )
    messages = {m.__name__: _message(m, "client to server") for m in received}
    messages |= {m.__name__: _message(m, "server to client") for m in sent}
    channel_messages = {name: {"$ref": f"#/components/messages/{name}"} for name in messages}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": API_TITLE,
            "version": API_VERSION,
            "description": (
                "Live speech recognition over API Gateway's WebSocket API: JSON text frames; the client sets "
                "`action`, the server `type`; every server message carries `ack` (the highest audio `seq` applied "
                "with no gap before it). See docs/streaming.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "aws": {
                "host": "{apiId}.execute-api.{region}.amazonaws.com",
                "protocol": "wss",
                "pathname": "/{stage}",
                "description": "A stage's WebSocket API (`make up` prints the local one: ws://127.0.0.1:<port>/local)",
                "variables": {
                    "apiId": {"description": "the WebSocket API's id (stack output)"},
                    "region": {"default": "ap-south-1"},
                    "stage": {"default": "dev"},
                },
                "security": [
                    {"$ref": "#/components/securitySchemes/apiKeyHeader"},
                    {"$ref": "#/components/securitySchemes/apiKeySubprotocol"},
                    {"$ref": "#/components/securitySchemes/apiKeyQuery"},
                ],
            }
        },
        "channels": {
            "stream": {
                "address": "/",
                "title": "One streaming connection",
                "messages": channel_messages,
            }
        },
        "operations": {
            "receiveClientMessage": {
                "action": "receive",
                "channel": {"$ref": "#/channels/stream"},
                "summary": "What the client sends (API Gateway routes on `action`)",
                "messages": [{"$ref": f"#/channels/stream/messages/{m.__name__}"} for m in received],
            },
            "sendServerMessage": {
                "action": "send",
                "channel": {"$ref": "#/channels/stream"},
                "summary": "What the server pushes back through @connections",
                "messages": [{"$ref": f"#/channels/stream/messages/{m.__name__}"} for m in sent],
            },
        },
        "components": {
            "schemas": definitions.get("$defs", {}),
            "messages": messages,
            "securitySchemes": {
                "apiKeyHeader": {"type": "httpApiKey", "name": "x-api-key", "in": "header"},
                "apiKeySubprotocol": {
                    "type": "httpApiKey",
                    "name": "Sec-WebSocket-Protocol",
                    "in": "header",
                    "description": "browsers, which cannot set headers on a WebSocket: offer the subprotocols "
                    "`speech.v1` and the key (`new WebSocket(url, ['speech.v1', key])`); the upgrade answers "
                    "`speech.v1`",
                },
                "apiKeyQuery": {
                    "type": "httpApiKey",
                    "name": "key",
                    "in": "query",
                    "description": "kept for older clients; it puts the key in the URL (browsers: the subprotocol)",
                },
            },
        },
    }
