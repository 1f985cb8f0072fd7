"""`finalize` and `stop` with `lastSeq` never overtake audio (API Gateway may run a connection's messages out of
order): one whose frames are not all applied is held like a frame ahead of the gap and carried out right after
its last frame, by the invocation that applies it; the same bounds and `stream.gap` apply."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from speech_core.contracts.streaming import MAX_AUDIO_IDLE_S, MAX_GAP_WAIT_S, MAX_PENDING_FRAMES
from speech_core.errors import ErrorCode, InferenceError
from speech_core.streaming import stream_service
from tests.unit.streaming.test_stream_service import CONNECTION, FakeDeps, FakeSession, _start, caller, pcm, send

SPEECH = pcm(4000, value=3000)  # 250 ms
SILENCE = pcm(4000, value=0)


def frames(count: int) -> list[str]:
    """100 ms frames, each of its own value (what the model heard says which frames, in which order)."""
    return [pcm(1600, value=seq + 1) for seq in range(count)]


def heard(deps: FakeDeps) -> np.ndarray:
    (sequence,) = deps.inference.sequences.values()
    return np.concatenate(sequence.chunks)


def in_order(count: int) -> np.ndarray:
    return np.concatenate([np.full(1600, seq + 1) for seq in range(count)]) / 32768.0


def held_controls(deps: FakeDeps) -> list[tuple[str | None, int | None]]:
    pending = deps.store.rows[CONNECTION].pending_frames
    return [(item.control, item.after_seq) for key, item in sorted(pending.items()) if key < 0]


def types(answers: list[dict[str, Any]]) -> list[str]:
    return [answer["type"] for answer in answers]


def test_a_stop_that_overtakes_its_last_frames_waits_for_them_and_ends_after_the_last_partial():
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    audio = frames(4)
    send(deps, who, action="audio", seq=0, audio=audio[0])
    send(deps, who, action="audio", seq=1, audio=audio[1])
    # Given `stop` after frame 3 arrives before frames 2 and 3: it is held, in the connection's row
    assert send(deps, who, action="stop", lastSeq=3) == []
    assert held_controls(deps) == [("stop", 3)]
    assert send(deps, who, action="audio", seq=3, audio=audio[3]) == []
    # When frame 2 closes the gap
    answers = send(deps, who, action="audio", seq=2, audio=audio[2])
    # Then frames 2 and 3 are applied, then the stop: the last final over every frame, then `end`
    assert types(answers) == ["partial", "final", "end"]
    partial, final, end = answers
    assert partial["ack"] == 3 and final["text"] == "heard 6400" and final["ack"] == 3
    assert end["ack"] == 3 and end["audioSeconds"] == 0.4
    assert np.allclose(heard(deps), in_order(4))
    assert deps.store.rows[CONNECTION].pending_frames == {}
    # the same audio sent in order, then `stop`: the same final
    again, who_again = FakeDeps(), caller()
    _start(again, who_again)
    for seq in range(4):
        send(again, who_again, action="audio", seq=seq, audio=audio[seq])
    assert send(again, who_again, action="stop")[0]["text"] == final["text"]


def test_a_held_finalize_ends_the_utterance_at_its_frame_and_later_frames_start_the_next():
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    audio = frames(4)
    send(deps, who, action="audio", seq=0, audio=audio[0])
    # Given finalize after frame 2 and frame 3 (the next utterance's) arrive before frames 1 and 2
    assert send(deps, who, action="finalize", lastSeq=2) == []
    assert send(deps, who, action="audio", seq=3, audio=audio[3]) == []
    assert send(deps, who, action="audio", seq=2, audio=audio[2]) == []
    # When frame 1 closes the gap
    answers = send(deps, who, action="audio", seq=1, audio=audio[1])
    # Then frames 1-2, finalize's ack, frame 3's partial (utterance 1), and the final of frames 0-2 after them
    assert types(answers) == ["partial", "ack", "partial", "final"]
    first, ack, second, final = answers
    assert (first["ack"], first["utterance"], ack["ack"]) == (2, 0, 2)
    assert (second["ack"], second["utterance"], second["start"]) == (3, 1, 0.3)
    assert (final["utterance"], final["text"], final["end"], final["ack"]) == (0, "heard 4800", 0.3, 2)
    assert np.allclose(heard(deps), in_order(4))


@pytest.mark.parametrize("last_seq", [-1, 0, 1])
def test_a_stop_whose_frames_are_applied_already_is_carried_out_at_once(last_seq: int):
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    for seq, frame in enumerate(frames(2)):
        send(deps, who, action="audio", seq=seq, audio=frame)
    final, end = send(deps, who, action="stop", lastSeq=last_seq)
    assert final["text"] == "heard 3200" and end["type"] == "end" and end["ack"] == 1


def test_a_held_stop_sent_twice_is_held_once():
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    audio = frames(2)
    assert send(deps, who, action="stop", lastSeq=1) == []
    assert send(deps, who, action="stop", lastSeq=1) == []
    assert held_controls(deps) == [("stop", 1)]
    send(deps, who, action="audio", seq=1, audio=audio[1])
    assert types(send(deps, who, action="audio", seq=0, audio=audio[0])) == ["partial", "final", "end"]


def test_a_gap_that_does_not_close_in_time_is_reported_and_the_resend_carries_the_finalize_out(monkeypatch):
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    now = [1000.0]
    monkeypatch.setattr(stream_service, "clock", lambda: now[0])
    audio = frames(4)
    send(deps, who, action="audio", seq=0, audio=audio[0])
    # Given frame 1 is lost: frame 2 and the finalize after it are held
    send(deps, who, action="audio", seq=2, audio=audio[2])
    assert send(deps, who, action="finalize", lastSeq=2) == []
    # When the next frame comes after the gap has lasted too long, Then it gets stream.gap naming the lost frame
    now[0] += MAX_GAP_WAIT_S + 0.1
    (error,) = send(deps, who, action="audio", seq=3, audio=audio[3])
    assert error["code"] == "stream.gap" and error["details"] == {"missingSeq": 1} and error["seq"] == 3
    # And the stream is usable: the resent frame applies the held frame and the finalize, then the refused frame
    assert types(send(deps, who, action="audio", seq=1, audio=audio[1])) == ["partial", "ack", "final"]
    (partial,) = send(deps, who, action="audio", seq=3, audio=audio[3])
    assert (partial["ack"], partial["utterance"]) == (3, 1)
    assert types(send(deps, who, action="stop", lastSeq=3)) == ["final", "end"]
    assert np.allclose(heard(deps), in_order(4))


def test_a_stop_past_the_held_frames_bound_gets_stream_gap_and_is_sent_again():
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    for seq in range(1, MAX_PENDING_FRAMES + 1):
        send(deps, who, action="audio", seq=seq, audio=pcm(160))
    (error,) = send(deps, who, action="stop", lastSeq=MAX_PENDING_FRAMES)
    assert error["code"] == "stream.gap" and error["details"] == {"missingSeq": 0} and "seq" not in error
    # the stop was not held: the gap closes without ending the stream, and the stop sent again ends it
    assert types(send(deps, who, action="audio", seq=0, audio=pcm(160))) == ["partial"]
    final, end = send(deps, who, action="stop", lastSeq=MAX_PENDING_FRAMES)
    assert end["ack"] == MAX_PENDING_FRAMES and end["type"] == "end"


def test_a_final_that_the_frames_releasing_a_stop_ended_comes_before_end():
    deps, who = FakeDeps(), caller()
    _start(deps, who, endpointing=300)
    send(deps, who, action="audio", seq=0, audio=SPEECH)
    send(deps, who, action="stop", lastSeq=2)
    send(deps, who, action="audio", seq=2, audio=SILENCE)
    # When frame 1 closes the gap, frames 1-2 complete an endpoint, then the stop is carried out
    answers = send(deps, who, action="audio", seq=1, audio=SILENCE)
    # Then the endpoint's final (utterance 0) comes before the last (empty) one and `end`
    assert types(answers) == ["partial", "final", "final", "end"]
    assert [(a["utterance"], a["text"]) for a in answers[1:3]] == [(0, "heard 12000"), (1, "")]
    assert deps.inference.transcribed == [("asr", 12000)]  # computed once


def test_a_final_the_idle_limit_ends_at_stop_comes_before_end(monkeypatch):
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    now = [1000.0]
    monkeypatch.setattr(stream_service, "clock", lambda: now[0])
    send(deps, who, action="audio", seq=0, audio=pcm(1600))
    now[0] += MAX_AUDIO_IDLE_S + 1
    answers = send(deps, who, action="stop")
    assert types(answers) == ["final", "final", "end"]
    assert [(a["utterance"], a["text"]) for a in answers[:2]] == [(0, "heard 1600"), (1, "")]


def test_a_model_failure_after_a_held_finalize_keeps_what_was_applied_and_holds_the_rest(monkeypatch):
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    audio = frames(4)
    send(deps, who, action="audio", seq=0, audio=audio[0])
    send(deps, who, action="finalize", lastSeq=1)
    send(deps, who, action="audio", seq=3, audio=audio[3])
    send(deps, who, action="audio", seq=2, audio=audio[2])
    # Given the model refuses the frames after the finalize (2-3), once
    real_send, failures = FakeSession.send, [InferenceError(ErrorCode.MODEL_TIMEOUT, "the model took too long")]

    def refuse_once(self: FakeSession, chunk: np.ndarray) -> Any:
        if chunk[0] == 3 / 32768.0 and failures:
            raise failures.pop()
        return real_send(self, chunk)

    monkeypatch.setattr(FakeSession, "send", refuse_once)
    # When frame 1 closes the gap: frame 1 and the finalize stand; frame 2 is refused, frame 3 held again
    answers = send(deps, who, action="audio", seq=1, audio=audio[1])
    assert types(answers) == ["partial", "ack", "error", "final"]
    assert (answers[2]["code"], answers[2]["seq"], answers[2]["ack"]) == ("model.timeout", 2, 1)
    assert answers[3]["text"] == "heard 3200"
    assert sorted(deps.store.rows[CONNECTION].pending_frames) == [3]
    # And the resent frame 2 releases frame 3: every frame reached the model once, in order
    (partial,) = send(deps, who, action="audio", seq=2, audio=audio[2])
    assert (partial["ack"], partial["utterance"]) == (3, 1)
    assert np.allclose(heard(deps), in_order(4))
