"""Where a WebSocket upgrade carries its API key: a header, the `speech.v1` subprotocol offer, or `?key=`."""

from __future__ import annotations

import re

from functions.stream.handle_stream_event import connect_answer
from speech_core.keys.key_headers import (
    STREAM_SUBPROTOCOL,
    connection_key_of,
    offered_subprotocols,
    selected_subprotocol,
    subprotocol_key_of,
)
from speech_core.keys.key_material import KEY_PATTERN, new_key

#: RFC 7230 token characters: what a subprotocol name (RFC 6455) may hold
TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def test_every_key_is_a_token_so_it_can_be_offered_as_a_subprotocol() -> None:
    for _ in range(200):
        key, _prefix = new_key()
        assert KEY_PATTERN.match(key) and TOKEN.match(key), key
    assert TOKEN.match(STREAM_SUBPROTOCOL)


def test_the_key_offered_beside_speech_v1_in_either_order_and_any_spacing() -> None:
    for value in ("speech.v1, spk_a_b", "spk_a_b,speech.v1", " speech.v1 ,  spk_a_b "):
        assert subprotocol_key_of({"Sec-WebSocket-Protocol": value}) == "spk_a_b"
        assert connection_key_of({"sec-websocket-protocol": value}, None) == "spk_a_b"


def test_no_key_without_speech_v1_or_without_a_second_name() -> None:
    # a client speaking some other subprotocol does not hand its names over as a key
    assert subprotocol_key_of({"Sec-WebSocket-Protocol": "spk_a_b"}) is None
    assert subprotocol_key_of({"Sec-WebSocket-Protocol": "chat, spk_a_b"}) is None
    assert subprotocol_key_of({"Sec-WebSocket-Protocol": "speech.v1"}) is None
    assert subprotocol_key_of({"Sec-WebSocket-Protocol": ""}) is None
    assert subprotocol_key_of(None) is None
    assert connection_key_of({"Sec-WebSocket-Protocol": "speech.v1"}, {}) is None


def test_a_header_first_then_the_subprotocol_then_the_query() -> None:
    offer = {"Sec-WebSocket-Protocol": "speech.v1, from-protocol"}
    assert connection_key_of({**offer, "x-api-key": "from-header"}, {"key": "from-query"}) == "from-header"
    assert connection_key_of({**offer, "Authorization": "Bearer from-bearer"}, None) == "from-bearer"
    assert connection_key_of(offer, {"key": "from-query"}) == "from-protocol"
    assert connection_key_of({}, {"key": "from-query"}) == "from-query"
    assert connection_key_of({"Sec-WebSocket-Protocol": "chat"}, {"api_key": "q"}) == "q"


def test_the_answer_selects_speech_v1_and_never_the_key() -> None:
    assert offered_subprotocols({"Sec-WebSocket-Protocol": "speech.v1, spk_a_b"}) == ["speech.v1", "spk_a_b"]
    assert selected_subprotocol({"Sec-WebSocket-Protocol": "spk_a_b, speech.v1"}) == STREAM_SUBPROTOCOL
    assert selected_subprotocol({"Sec-WebSocket-Protocol": "chat"}) is None
    assert selected_subprotocol({}) is None
    # the stream function's $connect answer: the header API Gateway hands to the client, only when offered
    answer = connect_answer({"headers": {"Sec-WebSocket-Protocol": "speech.v1, spk_a_b"}})
    assert answer == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "speech.v1"}}
    assert connect_answer({"headers": {"x-api-key": "spk_a_b"}}) == {"statusCode": 200}
    assert connect_answer({"headers": None}) == {"statusCode": 200}
