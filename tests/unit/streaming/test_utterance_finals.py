"""Finals off the live path, against fakes: computed after the frame's answer by the batch `asr` model, each
delivered once, in utterance order, every one before `end`, kept across a dropped connection."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from speech_core.db.records import FinalStatus
from speech_core.streaming.stream_service import StreamReply, connect, finish_reply, handle_message
from tests.unit.streaming.test_stream_service import (
    CONNECTION,
    FakeDeps,
    _start,
    caller,
    pcm,
    send,
    send_raw,
)

SPEECH = pcm(4000, value=3000)  # 250 ms
SILENCE = pcm(4000, value=0)


def wire(answers: Any) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json", by_alias=True, exclude_none=True) for a in answers]


def test_an_endpoint_answers_the_frame_first_and_the_final_is_the_batch_asr_of_the_utterance():
    deps, who = FakeDeps(), caller()
    _start(deps, who, endpointing=300)
    send(deps, who, action="audio", seq=0, audio=SPEECH)
    send(deps, who, action="audio", seq=1, audio=SILENCE)
    # When the frame that completes 500 ms of silence arrives
    reply = handle_message(CONNECTION, who, json.dumps({"action": "audio", "seq": 2, "audio": SILENCE}), deps)  # type: ignore[arg-type]
    # Then its answer is the partial alone (nothing computed yet), with the final left pending
    assert [a.type for a in reply.answers] == ["partial"] and reply.pending_finals == [0]
    assert not deps.inference.transcribed
    (sequence,) = deps.inference.sequences.values()
    assert sequence.flags[-1] == (False, True)  # the streaming sequence ended at once, no second pass there
    # And after the answer went out, the final is the `asr` model's transcript of the utterance's audio
    finish_reply(reply, deps)  # type: ignore[arg-type]
    assert deps.inference.transcribed == [("asr", 12000)]
    ((connection, final),) = deps.push.sent
    assert connection == CONNECTION and final["type"] == "final" and final["text"] == "heard 12000"
    assert (final["utterance"], final["start"], final["end"], final["ack"]) == (0, 0.0, 0.75, 2)
    assert final["words"][0] == {"word": "heard", "start": 0.0, "end": 0.1, "confidence": 0.9}
    # And the next frame's partial belongs to the next utterance
    (partial,) = send(deps, who, action="audio", seq=3, audio=SPEECH)
    assert partial["utterance"] == 1 and partial["start"] == 0.75
    assert all(f.status is FinalStatus.DELIVERED for f in deps.store.finals.values())


def test_a_final_still_being_computed_arrives_after_later_partials_and_before_end():
    deps, who = FakeDeps(), caller()
    _start(deps, who, endpointing=300)
    for seq, frame in enumerate([SPEECH, SILENCE]):
        send(deps, who, action="audio", seq=seq, audio=frame)
    # Given utterance 0's final is being computed by its invocation (its row held) ...
    reply = handle_message(CONNECTION, who, json.dumps({"action": "audio", "seq": 2, "audio": SILENCE}), deps)  # type: ignore[arg-type]
    (key,) = deps.store.finals
    deps.store.held.add(key)
    # ... the next utterance's frames are answered meanwhile
    partials = [send(deps, who, action="audio", seq=seq, audio=SPEECH) for seq in (3, 4)]
    assert [[(p["type"], p["utterance"]) for p in answers] for answers in partials] == [[("partial", 1)]] * 2
    # When `stop` comes while it is still held, Then it waits (bounded) and errors: nothing ended, nothing lost
    (error,) = send(deps, who, action="stop")
    assert error["code"] == "model.timeout" and error["details"] == {"utterance": 0}
    assert (
        deps.store.rows[CONNECTION].usage_recorded_at is None and deps.store.finals[key].status is FinalStatus.PENDING
    )
    # When its invocation finishes, its final is pushed, after the later partials
    deps.store.held.clear()
    finish_reply(reply, deps)  # type: ignore[arg-type]
    ((_, late),) = deps.push.sent
    assert late["type"] == "final" and late["utterance"] == 0 and late["text"] == "heard 12000"
    deps.push.sent.clear()
    # Then a `stop` sends the last utterance's final, then `end` (utterance 0's is not sent again)
    answers = send(deps, who, action="stop")
    assert [(a["type"], a.get("utterance")) for a in answers] == [("final", 1), ("end", None)]
    assert answers[0]["start"] == 0.75 and answers[0]["text"] == "heard 8000"


def test_stop_computes_a_final_whose_invocation_died_and_sends_every_final_before_end():
    deps, who = FakeDeps(), caller()
    _start(deps, who, endpointing=300, translateTo="es")
    # Given an utterance ended and its invocation died before computing the final (no finish_reply)
    for seq, frame in enumerate([SPEECH, SILENCE, SILENCE]):
        handle_message(CONNECTION, who, json.dumps({"action": "audio", "seq": seq, "audio": frame}), deps)  # type: ignore[arg-type]
    handle_message(CONNECTION, who, json.dumps({"action": "audio", "seq": 3, "audio": SPEECH}), deps)  # type: ignore[arg-type]
    # When the client stops
    answers = send(deps, who, action="stop")
    # Then utterance 0's final and translation go first (pushed), then utterance 1's, then `end`
    kinds = [(a["type"], a.get("utterance")) for a in answers]
    assert kinds == [("final", 0), ("translation", 0), ("final", 1), ("translation", 1), ("end", None)]
    assert answers[1]["translation"] == f"[es] {answers[0]['text']}"
    assert [f.status for f in deps.store.finals.values()] == [FinalStatus.DELIVERED]


def test_a_final_whose_connection_dropped_is_delivered_after_the_resume():
    deps, who = FakeDeps(), caller()
    ready = _start(deps, who, endpointing=300)
    for seq, frame in enumerate([SPEECH, SILENCE]):
        send(deps, who, action="audio", seq=seq, audio=frame)
    reply = handle_message(CONNECTION, who, json.dumps({"action": "audio", "seq": 2, "audio": SILENCE}), deps)  # type: ignore[arg-type]
    # Given the connection drops while the final is computed: the push finds it gone
    deps.push.gone.add(CONNECTION)
    finish_reply(reply, deps)  # type: ignore[arg-type]
    (record,) = deps.store.finals.values()
    assert record.status is FinalStatus.READY and record.audio is None
    from speech_core.streaming.stream_service import disconnect

    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    # When the client resumes, Then `ready` comes first and the kept final right after it
    connect(who, "conn-2", deps)  # type: ignore[arg-type]
    body = {"action": "resume", "sessionId": ready["sessionId"], "resumeToken": ready["resumeToken"]}
    again, resume_reply_final = send_raw(deps, who, json.dumps(body), "conn-2")
    assert again["type"] == "ready" and again["resumed"]
    assert resume_reply_final["type"] == "final" and resume_reply_final["utterance"] == 0
    assert resume_reply_final["text"] == "heard 12000"
    # And `stop` does not send it again
    answers = send(deps, who, "conn-2", action="stop")
    assert [(a["type"], a.get("utterance")) for a in answers] == [("final", 1), ("end", None)]
    assert answers[0]["text"] == ""


def test_a_failing_final_becomes_an_error_frame_and_the_stream_goes_on(monkeypatch):
    from speech_core.errors import ErrorCode, InferenceError

    deps, who = FakeDeps(), caller()
    _start(deps, who, endpointing=300)

    def failing(selection: Any, audio: np.ndarray, language: str) -> Any:
        raise InferenceError(ErrorCode.MODEL_FAILED, "the model failed")

    monkeypatch.setattr(deps.inference, "transcribe", failing)
    answers = [send(deps, who, action="audio", seq=seq, audio=f) for seq, f in enumerate([SPEECH, SILENCE, SILENCE])]
    partial, error = answers[-1]
    assert partial["type"] == "partial" and error["code"] == "model.failed" and error["utterance"] == 0
    (partial,) = send(deps, who, action="audio", seq=3, audio=SPEECH)
    assert partial["utterance"] == 1


def _two_utterances_ended(deps: Any, who: Any) -> list[StreamReply]:
    """A stream with endpointing where two utterances end (speech, silence, silence twice); each frame's reply is
    returned unfinished, so the test decides when each invocation's finish_reply runs."""
    _start(deps, who, endpointing=300)
    frames = [SPEECH, SILENCE, SILENCE, SPEECH, SILENCE, SILENCE]
    return [
        handle_message(CONNECTION, who, json.dumps({"action": "audio", "seq": seq, "audio": f}), deps)
        for seq, f in enumerate(frames)
    ]


def test_finals_go_out_in_utterance_order_and_no_invocation_waits_for_another():
    deps, who = FakeDeps(), caller()
    replies = _two_utterances_ended(deps, who)
    # Given two utterances ended, utterance 0's invocation not done yet (its final still pending)
    assert [r.pending_finals for r in replies if r.pending_finals] == [[0], [1]]
    # When utterance 1's invocation finishes first, Then it computes its own final but does not send it ahead of 0
    finish_reply(replies[-1], deps)  # type: ignore[arg-type]
    assert not deps.push.sent and deps.inference.transcribed == [("asr", 12000)]
    # And when utterance 0's invocation finishes, it sends 0 then the ready 1, each once
    finish_reply(replies[2], deps)  # type: ignore[arg-type]
    assert [m["utterance"] for _, m in deps.push.sent] == [0, 1] and len(deps.inference.transcribed) == 2
    finish_reply(replies[-1], deps)  # type: ignore[arg-type]  # redelivered: nothing again
    assert len(deps.push.sent) == 2 and len(deps.inference.transcribed) == 2


def test_a_pass_stops_at_a_final_another_invocation_holds_and_that_one_goes_on():
    deps, who = FakeDeps(), caller()
    replies = _two_utterances_ended(deps, who)
    session = deps.store.rows[CONNECTION].session_id
    # Given utterance 0's final held by its invocation while utterance 1's is computed
    deps.store.held.add((session, 0))
    finish_reply(replies[-1], deps)  # type: ignore[arg-type]
    assert not deps.push.sent and deps.store.finals[(session, 1)].status is FinalStatus.READY
    # When the holder finishes (its pass runs after it), Then both go out in order
    deps.store.held.clear()
    finish_reply(replies[2], deps)  # type: ignore[arg-type]
    assert [m["utterance"] for _, m in deps.push.sent] == [0, 1]


def test_finals_behind_an_undelivered_one_wait_for_the_resumed_connection():
    deps, who = FakeDeps(), caller()
    replies = _two_utterances_ended(deps, who)
    # Given the connection is gone when both finals are computed
    deps.push.gone.add(CONNECTION)
    for reply in (replies[2], replies[-1]):
        finish_reply(reply, deps)  # type: ignore[arg-type]
    assert not deps.push.sent and {f.status for f in deps.store.finals.values()} == {FinalStatus.READY}
    # When a pass runs with the connection back (as a resumed one's), it sends both, in order
    deps.push.gone.clear()
    finish_reply(StreamReply([], who.tenant_id, deps.store.rows[CONNECTION].session_id, deliver=True), deps)  # type: ignore[arg-type]
    assert [m["utterance"] for _, m in deps.push.sent] == [0, 1]


def test_the_stream_function_outlasts_a_final_that_waits_for_the_one_before_it():
    # A final computed after its frame's answer runs on in the same Lambda invocation: the wait for an earlier
    # final's row lock, then its own batch ASR (seconds for a 15 s utterance), must fit the function's timeout
    from infra_cdk.function_catalog import FUNCTIONS
    from speech_core.contracts.streaming import MAX_UTTERANCE_S
    from speech_core.db.repositories.streams import FINAL_LOCK_TIMEOUT_MS

    (stream_function,) = [f for f in FUNCTIONS if f.handler == "functions/stream/handle_stream_event.handler"]
    own_final_s = MAX_UTTERANCE_S / 2  # the batch decode on the loaded 2-core machine: ~0.15-0.6 x real time
    assert FINAL_LOCK_TIMEOUT_MS / 1000 + own_final_s < stream_function.timeout_s


def _later(seconds: float) -> Any:
    """A clock `seconds` ahead of now (a claim taken now is checked then)."""
    from datetime import datetime, timedelta

    return lambda tz: datetime.now(tz) + timedelta(seconds=seconds)


def test_a_final_whose_invocation_died_is_computed_by_a_later_pass_once_its_claim_expires(monkeypatch):
    from speech_core.streaming import utterance_finals
    from speech_core.streaming.utterance_finals import FINAL_CLAIM_S, push_ready_finals

    deps, who = FakeDeps(), caller()
    replies = _two_utterances_ended(deps, who)
    session = deps.store.rows[CONNECTION].session_id
    # Given utterance 0's invocation died before computing its final, and utterance 1's final is computed
    finish_reply(replies[-1], deps)  # type: ignore[arg-type]
    assert deps.inference.transcribed == [("asr", 12000)] and not deps.push.sent
    # When a later pass runs while 0's claim holds, Then it leaves 0 to its invocation (nothing sent out of order)
    push_ready_finals(session, deps)  # type: ignore[arg-type]
    assert len(deps.inference.transcribed) == 1 and not deps.push.sent
    # When a pass runs once the claim expired (past the function's timeout: its invocation is dead)
    monkeypatch.setattr(utterance_finals, "clock", _later(FINAL_CLAIM_S + 1))
    push_ready_finals(session, deps)  # type: ignore[arg-type]
    # Then it computes 0 (its audio gone with it) and sends 0 then 1, without waiting for `stop`
    assert len(deps.inference.transcribed) == 2
    assert [(m["type"], m["utterance"]) for _, m in deps.push.sent] == [("final", 0), ("final", 1)]
    assert deps.store.finals[(session, 0)].audio is None
    # And neither is computed or sent again, by another pass or by `stop`
    push_ready_finals(session, deps)  # type: ignore[arg-type]
    answers = send(deps, who, action="stop")
    assert [a["type"] for a in answers] == ["final", "end"] and answers[0]["utterance"] == 2
    assert len(deps.inference.transcribed) == 2 and len(deps.push.sent) == 2


def test_a_pass_computes_one_orphaned_final_at_most(monkeypatch):
    from speech_core.streaming import utterance_finals
    from speech_core.streaming.utterance_finals import FINAL_CLAIM_S, push_ready_finals

    deps, who = FakeDeps(), caller()
    _two_utterances_ended(deps, who)
    session = deps.store.rows[CONNECTION].session_id
    # Given both utterances' invocations died, and both claims expired
    monkeypatch.setattr(utterance_finals, "clock", _later(FINAL_CLAIM_S + 1))
    # When a pass runs, Then it computes and sends the first only (its own final and one more fit the timeout)
    push_ready_finals(session, deps)  # type: ignore[arg-type]
    assert [m["utterance"] for _, m in deps.push.sent] == [0] and len(deps.inference.transcribed) == 1
    # And the next pass takes the next one
    push_ready_finals(session, deps)  # type: ignore[arg-type]
    assert [m["utterance"] for _, m in deps.push.sent] == [0, 1] and len(deps.inference.transcribed) == 2


def test_a_pending_final_is_claimed_past_the_stream_functions_timeout():
    # The claim must outlast any invocation of the stream function: only then does an expired claim mean that the
    # invocation which ended the utterance is dead (and not still about to compute the final)
    from datetime import UTC, datetime

    from infra_cdk.function_catalog import FUNCTIONS
    from speech_core.streaming.utterance_finals import STREAM_FUNCTION_TIMEOUT_S

    (stream_function,) = [f for f in FUNCTIONS if f.handler == "functions/stream/handle_stream_event.handler"]
    assert stream_function.timeout_s == STREAM_FUNCTION_TIMEOUT_S
    deps, who = FakeDeps(), caller()
    before = datetime.now(UTC)
    _two_utterances_ended(deps, who)
    for record in deps.store.finals.values():
        assert record.claimed_until is not None
        assert (record.claimed_until - before).total_seconds() > stream_function.timeout_s


def test_the_retention_outlasts_the_resume_window_and_a_final_being_computed():
    # A session's finals are swept once nobody can resume it and no invocation can still be computing one of them
    from speech_core.contracts.streaming import RESUME_WINDOW_S
    from speech_core.streaming.utterance_finals import FINAL_CLAIM_S, FINALS_RETENTION_S

    assert FINALS_RETENTION_S > RESUME_WINDOW_S + FINAL_CLAIM_S


def test_no_final_is_pushed_after_end():
    from speech_core.streaming.utterance_finals import push_ready_finals

    deps, who = FakeDeps(), caller()
    replies = _two_utterances_ended(deps, who)
    session = deps.store.rows[CONNECTION].session_id
    # Given both finals computed while the connection could not take them, and `stop` answered meanwhile
    deps.push.gone.add(CONNECTION)
    for reply in (replies[2], replies[-1]):
        finish_reply(reply, deps)  # type: ignore[arg-type]
    handle_message(CONNECTION, who, json.dumps({"action": "stop"}), deps)  # type: ignore[arg-type]
    assert deps.store.rows[CONNECTION].usage_recorded_at is not None
    # When a pass runs with the connection reachable again, Then nothing follows the stream's `end`
    deps.push.gone.clear()
    push_ready_finals(session, deps)  # type: ignore[arg-type]
    assert not deps.push.sent


def test_a_sweep_deletes_by_the_retention_and_a_failed_one_changes_nothing():
    from types import SimpleNamespace

    from speech_core.streaming.utterance_finals import FINALS_RETENTION_S, sweep_finals

    asked: list[float] = []

    def sweep(idle_s: float) -> int:
        asked.append(idle_s)
        return 2

    sweep_finals(SimpleNamespace(store=SimpleNamespace(sweep_finals=sweep)))  # type: ignore[arg-type]
    assert asked == [FINALS_RETENTION_S]

    def failing(idle_s: float) -> int:
        raise RuntimeError("database unavailable")

    sweep_finals(SimpleNamespace(store=SimpleNamespace(sweep_finals=failing)))  # type: ignore[arg-type]  # no raise


def test_the_next_message_computes_a_final_whose_invocation_died(monkeypatch):
    from speech_core.streaming import utterance_finals
    from speech_core.streaming.utterance_finals import FINAL_CLAIM_S

    deps, who = FakeDeps(), caller()
    _start(deps, who, endpointing=300)
    # Given an utterance ended and its invocation died before computing the final (no finish_reply)
    for seq, frame in enumerate([SPEECH, SILENCE, SILENCE]):
        handle_message(CONNECTION, who, json.dumps({"action": "audio", "seq": seq, "audio": frame}), deps)  # type: ignore[arg-type]
    # When the client's next frame comes after the claim expired (the invocation's timeout is past)
    monkeypatch.setattr(utterance_finals, "clock", _later(FINAL_CLAIM_S + 1))
    answers = send(deps, who, action="audio", seq=3, audio=SPEECH)
    # Then that frame's partial is answered first, and the final follows it, without waiting for `stop`
    assert [(a["type"], a["utterance"]) for a in answers] == [("partial", 1), ("final", 0)]
    assert answers[1]["text"] == "heard 12000"


def test_a_disconnect_sweeps_the_finals_of_sessions_nobody_can_resume():
    from datetime import timedelta

    from speech_core.streaming.stream_service import disconnect
    from speech_core.streaming.utterance_finals import FINALS_RETENTION_S

    deps, who = FakeDeps(), caller()
    replies = _two_utterances_ended(deps, who)
    deps.push.gone.add(CONNECTION)
    finish_reply(replies[2], deps)  # type: ignore[arg-type]  # computed, not delivered: the connection dropped
    # Given the session was detached longer ago than the retention
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    assert len(deps.store.finals) == 2
    row = deps.store.rows[CONNECTION]
    row.last_seen_at = row.disconnected_at = row.disconnected_at - timedelta(seconds=FINALS_RETENTION_S + 1)  # type: ignore[operator]
    # When another connection ends, Then the dead session's finals are gone, the audio of the pending one with them
    connect(who, "conn-2", deps)  # type: ignore[arg-type]
    disconnect("conn-2", deps)  # type: ignore[arg-type]
    assert deps.store.finals == {}
