"""`stop` and `finalize` never overtake audio: on the local cloud, with a real WebSocket client.

Given the local cloud is up (the WebSocket API played from the template, the stream function, PostgreSQL and
Triton's `asr_streaming` and `asr`), When a client sends `stop` (or `finalize`) with `lastSeq` BEFORE the last
frames it names, as API Gateway's concurrent invocations may deliver them, Then the server holds it until those
frames are applied: the final is the one the same audio gives in order, and equals the sync ASR.
"""

from __future__ import annotations

import json

import pytest

from speech_core.keys import Scope
from tests.e2e import test_streaming as streaming_e2e
from tests.e2e.conftest import GOFORWARD_RAW
from tests.e2e.test_streaming import stream

pytestmark = pytest.mark.e2e

# the streaming module's fixtures, shared: pytest finds a fixture by its name in the module
goforward_frames = streaming_e2e.goforward_frames
sync_text = streaming_e2e.sync_text
websocket_url = streaming_e2e.websocket_url


def test_a_stop_sent_before_the_last_two_frames_waits_for_them(websocket_url, make_key, goforward_frames, sync_text):
    key = make_key([Scope.STREAMING])
    last = len(goforward_frames) - 1
    stop = json.dumps({"action": "stop", "lastSeq": last})
    # Given the same recording sent in order, then `stop` naming its last frame
    in_order = stream(websocket_url, key, goforward_frames, range(last + 1), stop=stop)
    # When `stop` is sent BEFORE the last two frames it names (no answer is waited for)
    run = stream(websocket_url, key, goforward_frames, range(last + 1), extra={last - 1: stop}, stop=None)
    # Then nothing was refused, every frame was applied, and `end` follows the last frame's partial
    assert not run.of_type("error"), run.of_type("error")
    kinds = [(message["type"], message["ack"]) for message in run.messages]
    assert kinds.index(("partial", last)) < kinds.index(("end", last)) == len(kinds) - 1
    (end,) = run.of_type("end")
    assert end["audioSeconds"] == pytest.approx(len(GOFORWARD_RAW.read_bytes()) / 32_000, abs=0.001)
    # And the final equals the in-order stream's, and the sync ASR of the same audio
    assert run.final_text == in_order.final_text == sync_text == "go forward ten meters"


def test_a_finalize_sent_before_its_frames_ends_the_utterance_after_them(
    websocket_url, make_key, goforward_frames, sync_text
):
    last = len(goforward_frames) - 1
    # When `finalize` naming the last frame goes before the last two frames, and `stop` after every frame
    finalize, stop = ({"action": action, "lastSeq": last} for action in ("finalize", "stop"))
    extra = {last - 1: json.dumps(finalize)}
    run = stream(
        websocket_url,
        make_key([Scope.STREAMING]),
        goforward_frames,
        range(last + 1),
        extra=extra,
        stop=json.dumps(stop),
    )
    # Then finalize's ack comes after the last frame's partial, and its final is the whole recording's
    assert not run.of_type("error"), run.of_type("error")
    kinds = [(message["type"], message["ack"]) for message in run.messages]
    assert kinds.index(("partial", last)) < kinds.index(("ack", last))
    finals = sorted(run.of_type("final"), key=lambda final: final["utterance"])
    assert [(final["utterance"], final["text"]) for final in finals] == [(0, sync_text), (1, "")]
