"""The streaming API's AsyncAPI document: valid AsyncAPI 3.0, and in step with the message models.

`asyncapi-3.0.0.schema.json.gz` is the AsyncAPI Initiative's JSON Schema of AsyncAPI 3.0.0, the
`schemas/3.0.0-without-$id.json` of the npm package @asyncapi/specs 6.11.1 (Apache-2.0), gzipped: the test
reads it from here, nothing is downloaded.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from speech_core.contracts import streaming
from speech_core.contracts.streaming_asyncapi import build_asyncapi, client_messages, discriminator, server_messages

ASYNCAPI_SCHEMA = Path(__file__).with_name("asyncapi-3.0.0.schema.json.gz")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_asyncapi()


def test_the_document_is_valid_asyncapi_3(document):
    schema = json.loads(gzip.decompress(ASYNCAPI_SCHEMA.read_bytes()))
    jsonschema.Draft7Validator(schema).validate(document)
    # and it survives JSON (what GET /v1/asyncapi.json sends)
    assert json.loads(json.dumps(document)) == document


def test_every_message_of_the_protocol_is_described_with_its_model_schema(document):
    messages = document["components"]["messages"]
    models = client_messages() + server_messages()
    assert set(messages) == {model.__name__ for model in models}
    for name in ("StartMessage", "ResumeMessage", "AudioMessage", "FinalizeMessage", "StopMessage"):
        assert name in messages
    for name in ("ReadyMessage", "PartialMessage", "FinalMessage", "TranslationMessage", "EndMessage", "ErrorFrame"):
        assert name in messages
    for model in models:
        assert messages[model.__name__]["name"] == discriminator(model)
        payload = messages[model.__name__]["payload"]["$ref"].rsplit("/", 1)[-1]
        properties = document["components"]["schemas"][payload]["properties"]
        wire_names = {field.alias or name for name, field in model.model_fields.items()}
        assert set(properties) == wire_names, model.__name__
    sent = {ref["$ref"].rsplit("/", 1)[-1] for ref in document["operations"]["sendServerMessage"]["messages"]}
    received = {ref["$ref"].rsplit("/", 1)[-1] for ref in document["operations"]["receiveClientMessage"]["messages"]}
    assert sent == {m.__name__ for m in server_messages()} and received == {m.__name__ for m in client_messages()}


def _validator(document: dict[str, Any], model: type[BaseModel]) -> jsonschema.Validator:
    schema = {"$ref": f"#/components/schemas/{model.__name__}", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    ("model", "wire"),
    [
        (streaming.StartMessage, {"action": "start", "language": "en", "endpointing": 500, "translateTo": "es"}),
        (streaming.ResumeMessage, {"action": "resume", "sessionId": "s", "resumeToken": "t", "lastAck": 4}),
        (streaming.AudioMessage, {"action": "audio", "seq": 0, "audio": "AAA="}),
        (streaming.FinalizeMessage, {"action": "finalize", "lastSeq": 11}),
        (streaming.StopMessage, {"action": "stop", "lastSeq": -1}),
    ],
)
def test_what_the_models_accept_the_document_accepts(document, model, wire):
    model.model_validate(wire)
    _validator(document, model).validate(wire)


def test_what_the_server_sends_matches_the_document(document):
    sent = [
        streaming.PartialMessage(ack=3, text="go forward", stable="go", start=0.0, end=1.0),
        streaming.TranslationMessage(
            ack=3, text="hi", translation="hola", source_language="en", target_language="es", start=0, end=1
        ),
        streaming.EndMessage(
            ack=3, audio_seconds=1.0, billed_seconds=1.0, partial_latency_p50_ms=80.0, partial_latency_p95_ms=120.0
        ),
        streaming.ErrorFrame(ack=-1, code="stream.resume_refused", message="no", details={"resumeWindowSeconds": 30}),
    ]
    for message in sent:
        wire = json.loads(message.model_dump_json(by_alias=True, exclude_none=True))
        _validator(document, type(message)).validate(wire)
    with pytest.raises(jsonschema.ValidationError):  # and the document is strict where the model is
        _validator(document, streaming.AudioMessage).validate({"action": "audio", "seq": -1, "audio": "AAA="})
    with pytest.raises(jsonschema.ValidationError):
        _validator(document, streaming.StopMessage).validate({"action": "stop", "lastSeq": -2})
