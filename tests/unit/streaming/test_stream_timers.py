"""Stream timers against fakes: a gap reported although the client sends nothing more, a dropped stream nobody
resumed closed with its Triton sequence ended, and a timer whose reason is gone doing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from speech_core.contracts.streaming import MAX_GAP_WAIT_S, RESUME_WINDOW_S
from speech_core.db.records import ConnectionState
from speech_core.keys.caller import Caller
from speech_core.streaming import stream_service
from speech_core.streaming.stream_service import disconnect
from speech_core.streaming.stream_timers import DETACHED_DELAY_S, GAP_DELAY_S, StreamTimer
from speech_core.streaming.timer_service import parse_timer, run_timer
from tests.unit.streaming.test_stream_service import CONNECTION, FakeDeps, _resume, _start, caller, pcm, send


def _pushed(deps: FakeDeps, connection: str = CONNECTION) -> list[dict]:
    return [message for who, message in deps.push.sent if who == connection]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(stream_service, "clock", lambda: now[0])
    return now


# --- gap ------------------------------------------------------------------------------------------------------------
def test_a_gap_sets_one_timer_and_each_new_missing_frame_another(clock):
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    send(deps, who, action="audio", seq=0, audio=pcm(160))
    assert deps.timers.scheduled == []  # in order: no gap, no timer
    # Given frame 1 is missing: the first frame held ahead of it sets a timer, the next ones do not
    send(deps, who, action="audio", seq=2, audio=pcm(160))
    send(deps, who, action="audio", seq=4, audio=pcm(160))
    assert deps.timers.scheduled == [(StreamTimer(kind="gap", connection_id=CONNECTION, missing_seq=1), GAP_DELAY_S)]
    # When frame 1 arrives, 2 is applied and 3 is now the missing one: a timer for it
    send(deps, who, action="audio", seq=1, audio=pcm(160))
    assert deps.timers.scheduled[-1][0].missing_seq == 3 and len(deps.timers.scheduled) == 2
    # And when the gap closes, no timer
    send(deps, who, action="audio", seq=3, audio=pcm(160))
    assert len(deps.timers.scheduled) == 2 and deps.store.rows[CONNECTION].ack == 4


def test_a_held_stop_sets_a_timer_too(clock):
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    assert send(deps, who, action="stop", lastSeq=0) == []  # frame 0 not here yet: the stop waits for it
    assert [timer.missing_seq for timer, _ in deps.timers.scheduled] == [0]


def test_a_gap_still_open_when_its_timer_comes_is_reported_and_the_frames_stay_held(clock):
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    send(deps, who, action="audio", seq=1, audio=pcm(160))
    send(deps, who, action="audio", seq=2, audio=pcm(160))
    ((timer, delay),) = deps.timers.scheduled
    # When the timer comes (the client sent nothing more)
    clock[0] += delay
    run_timer(timer, deps)  # type: ignore[arg-type]
    # Then the client hears of the missing frame, without a seq of its own to blame
    (error,) = _pushed(deps)[-1:]
    assert error["type"] == "error" and error["code"] == "stream.gap" and "seq" not in error
    assert error["details"] == {"missingSeq": 0} and error["ack"] == -1
    # And the held frames stay: resending the missing one applies all three
    (partial,) = send(deps, who, action="audio", seq=0, audio=pcm(160))
    assert partial["ack"] == 2


def test_a_gap_timer_does_nothing_once_the_frame_came_or_the_stream_ended(clock):
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    send(deps, who, action="audio", seq=1, audio=pcm(160))
    ((timer, _),) = deps.timers.scheduled
    send(deps, who, action="audio", seq=0, audio=pcm(160))
    clock[0] += MAX_GAP_WAIT_S + 1
    before = len(deps.push.sent)
    run_timer(timer, deps)  # type: ignore[arg-type]
    run_timer(StreamTimer(kind="gap", connection_id="no-such-connection", missing_seq=0), deps)  # type: ignore[arg-type]
    assert len(deps.push.sent) == before and len(deps.timers.scheduled) == 1


def test_a_gap_timer_that_comes_early_is_sent_back_for_the_rest(clock):
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    send(deps, who, action="audio", seq=1, audio=pcm(160))
    ((timer, _),) = deps.timers.scheduled
    clock[0] += 2.0  # the consumer's clock is behind the frame's
    run_timer(timer, deps)  # type: ignore[arg-type]
    assert not any(message["type"] == "error" for message in _pushed(deps))
    assert deps.timers.scheduled[-1] == (timer, pytest.approx(MAX_GAP_WAIT_S - 2.0))


def test_a_timer_that_cannot_be_set_leaves_the_frame_held_and_the_gap_reported_at_the_next_message(clock):
    deps, who = FakeDeps(), caller()
    _start(deps, who)

    def down(timer: StreamTimer, delay_s: float) -> None:
        raise ConnectionError("SQS unreachable")

    deps.timers.schedule = down  # type: ignore[method-assign]
    assert send(deps, who, action="audio", seq=1, audio=pcm(160)) == []
    clock[0] += MAX_GAP_WAIT_S + 0.1
    (error,) = send(deps, who, action="audio", seq=2, audio=pcm(160))
    assert error["code"] == "stream.gap"


# --- detached -------------------------------------------------------------------------------------------------------
def _dropped(deps: FakeDeps, seconds_ago: float) -> None:
    deps.store.rows[CONNECTION].disconnected_at = datetime.now(UTC) - timedelta(seconds=seconds_ago)


def _detach(deps: FakeDeps, who: Caller) -> tuple[dict[str, Any], StreamTimer, float]:
    """A stream with 0.1 s of audio whose connection dropped: its `ready`, and the one timer the drop set."""
    ready = _start(deps, who)
    send(deps, who, action="audio", seq=0, audio=pcm(1600))
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    ((timer, delay),) = deps.timers.scheduled
    return ready, timer, delay


def test_a_dropped_stream_nobody_resumes_is_closed_and_its_sequence_ended():
    deps, who = FakeDeps(), caller()
    ready, timer, delay = _detach(deps, who)
    # Then the drop sets a timer for the end of the resume window; the sequence is kept meanwhile
    assert timer == StreamTimer(kind="detached", connection_id=CONNECTION) and delay == DETACHED_DELAY_S
    assert delay > RESUME_WINDOW_S
    sequence = next(iter(deps.inference.sequences.values()))
    assert sequence.flags[-1] == (True, False)
    # When it comes with nobody having resumed
    _dropped(deps, RESUME_WINDOW_S + 1)
    run_timer(timer, deps)  # type: ignore[arg-type]
    # Then the Triton sequence got its END and the stream is closed: a resume is refused
    assert sequence.flags[-1] == (False, True)
    assert deps.store.rows[CONNECTION].state is ConnectionState.CLOSED
    answer = _resume(deps, who, "conn-2", ready["sessionId"], ready["resumeToken"])
    assert answer["code"] == "stream.resume_refused"
    # And its audio was metered once, at the drop
    assert [entry.audio_seconds for entry in deps.request_log.entries.values()] == [0.1]


def test_a_detached_timer_does_nothing_to_a_resumed_stream():
    deps, who = FakeDeps(), caller()
    ready, timer, _ = _detach(deps, who)
    resumed = _resume(deps, who, "conn-2", ready["sessionId"], ready["resumeToken"])
    assert resumed["type"] == "ready"
    sequence = next(iter(deps.inference.sequences.values()))
    flags = list(sequence.flags)
    _dropped(deps, RESUME_WINDOW_S + 1)
    run_timer(timer, deps)  # type: ignore[arg-type]
    # Then the sequence goes on on the new connection
    assert sequence.flags == flags
    (partial,) = send(deps, who, "conn-2", action="audio", seq=1, audio=pcm(1600))
    assert partial["type"] == "partial" and partial["ack"] == 1


def test_a_detached_timer_inside_the_window_is_sent_back_for_the_rest():
    deps, who = FakeDeps(), caller()
    _, timer, _ = _detach(deps, who)
    _dropped(deps, RESUME_WINDOW_S - 10)
    run_timer(timer, deps)  # type: ignore[arg-type]
    assert deps.store.rows[CONNECTION].state is ConnectionState.DETACHED
    assert deps.timers.scheduled[-1][0] == timer and 9 < deps.timers.scheduled[-1][1] <= 10.5


def test_a_stopped_stream_sets_no_detached_timer():
    deps, who = FakeDeps(), caller()
    _start(deps, who)
    send(deps, who, action="audio", seq=0, audio=pcm(1600))
    send(deps, who, action="stop")
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    assert deps.timers.scheduled == []


@pytest.mark.parametrize(
    "body",
    [
        "",
        "{}",
        "not json",
        '{"kind": "gap"}',
        '{"kind": "later", "connectionId": "c"}',
        '{"kind": "detached", "connection_id": "c", "extra": 1}',
    ],
)
def test_a_body_that_is_not_a_timer_is_dropped(body):
    assert parse_timer(body) is None


def test_a_timer_body_round_trips():
    timer = StreamTimer(kind="gap", connection_id="abc=", missing_seq=7)
    assert parse_timer(timer.model_dump_json(exclude_none=True)) == timer
