"""The stream service against fakes: the protocol's answers, exactly-once audio, usage recorded once."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from speech_core.contracts.streaming import (
    MAX_AUDIO_IDLE_S,
    MAX_CONCURRENT_STREAMS_PER_KEY,
    MAX_FRAME_AUDIO_BYTES,
    MAX_FRAMES_PER_SECOND,
    MAX_GAP_WAIT_S,
    MAX_PENDING_FRAMES,
    MAX_STREAM_SECONDS,
    MAX_UTTERANCE_S,
    RESUME_WINDOW_S,
)
from speech_core.db.records import ConnectionState, FinalStatus, RequestLogEntry, StreamFinalRecord, StreamState
from speech_core.errors import ErrorCode, LanguageError
from speech_core.keys.caller import Caller
from speech_core.keys.scopes import KeyLimits, Scope
from speech_core.streaming import stream_service
from speech_core.streaming.stream_service import connect, disconnect, finish_reply, handle_message
from speech_core.streaming.stream_timers import StreamTimer

CONNECTION = "conn-1"


class FakeStore:
    """Rows in memory; a block that raises leaves the row as it was (like the rolled-back transaction)."""

    def __init__(self) -> None:
        self.rows: dict[str, StreamState] = {}
        self.finals: dict[tuple[uuid.UUID, int], StreamFinalRecord] = {}
        #: finals another invocation holds (their row lock): skipped without `wait`, a timeout with it
        self.held: set[tuple[uuid.UUID, int]] = set()

    def open(self, connection_id: str, tenant_id: uuid.UUID, api_key_id: uuid.UUID | None) -> StreamState:
        self.rows[connection_id] = StreamState(
            connection_id=connection_id,
            tenant_id=tenant_id,
            api_key_id=api_key_id,
            sequence_id=len(self.rows) + 1,
            state=ConnectionState.OPEN,
            task=None,
            source_language=None,
            sample_rate=None,
            audio_seconds=0.0,
            session_id=None,
            resume_token_hash=None,
            next_seq=0,
            pending_frames={},
            utterance_open=False,
            utterance_start_s=0.0,
            last_partial="",
            usage_recorded_at=None,
        )
        return self.rows[connection_id]

    def peek(self, connection_id: str) -> StreamState | None:
        return self.rows.get(connection_id)

    def count_live_streams(self, api_key_id: uuid.UUID) -> int:
        return sum(
            1
            for row in self.rows.values()
            if row.api_key_id == api_key_id
            and row.session_id is not None
            and row.usage_recorded_at is None
            and row.state is not ConnectionState.CLOSED
        )

    @contextmanager
    def locked(self, connection_id: str) -> Iterator[StreamState | None]:
        row = self.rows.get(connection_id)
        copy = row.model_copy(deep=True) if row else None
        yield copy
        if copy is not None:
            self._write(copy)

    @contextmanager
    def locked_session(self, session_id: uuid.UUID) -> Iterator[StreamState | None]:
        rows = [r for r in self.rows.values() if r.session_id == session_id and r.state is not ConnectionState.CLOSED]
        copy = rows[0].model_copy(deep=True) if rows else None
        yield copy
        if copy is not None:
            self._write(copy)

    def session_connection(self, session_id: uuid.UUID) -> StreamState | None:
        rows = [r for r in self.rows.values() if r.session_id == session_id and r.state is not ConnectionState.CLOSED]
        return rows[0] if rows else None

    def undelivered_finals(self, session_id: uuid.UUID) -> list[int]:
        return sorted(
            u for (s, u), f in self.finals.items() if s == session_id and f.status is not FinalStatus.DELIVERED
        )

    @contextmanager
    def locked_final(self, session_id: uuid.UUID, utterance: int, *, wait: bool) -> Iterator[StreamFinalRecord | None]:
        from speech_core.errors import InferenceError

        key = (session_id, utterance)
        if key in self.held:
            if wait:
                raise InferenceError(ErrorCode.MODEL_TIMEOUT, "still being computed", details={"utterance": utterance})
            yield None
            return
        record = self.finals.get(key)
        copy = record.model_copy(deep=True) if record else None
        yield copy
        if copy is not None:
            self.finals[key] = copy

    def sweep_finals(self, idle_s: float) -> int:
        """As the SQL store: the finals of sessions none of whose connections was heard from for `idle_s`."""
        cutoff = datetime.now(UTC) - timedelta(seconds=idle_s)
        live = {
            r.session_id
            for r in self.rows.values()
            if max(r.last_seen_at or cutoff, r.disconnected_at or cutoff) > cutoff
        }
        stale = [key for key in self.finals if key[0] not in live and key not in self.held]
        for key in stale:
            del self.finals[key]
        return len(stale)

    def _write(self, state: StreamState) -> None:
        """As the SQL store: last_seen_at stamped, disconnected_at when the connection leaves."""
        for final in state.new_finals:
            self.finals[(final.session_id, final.utterance)] = final
        state.new_finals = []
        now = datetime.now(UTC)
        state.last_seen_at = now
        if state.state in (ConnectionState.CLOSED, ConnectionState.DETACHED) and state.disconnected_at is None:
            state.disconnected_at = now
        self.rows[state.connection_id] = state


@dataclass
class FakeSequence:
    """What Triton's sequence batcher saw for one sequence id: the chunks and the START/END flags."""

    chunks: list[np.ndarray] = field(default_factory=list)
    flags: list[tuple[bool, bool]] = field(default_factory=list)
    #: the chunks since the last START (what END hands back)
    utterance: list[np.ndarray] = field(default_factory=list)


class FakeSession:
    def __init__(self, sequence: FakeSequence) -> None:
        self.sequence, self.started, self.samples_sent = sequence, False, 0

    def _answer(self, chunk: np.ndarray, end: bool) -> Any:
        if not self.started:
            self.sequence.utterance = []
        self.sequence.chunks.append(chunk)
        self.sequence.utterance.append(chunk)
        self.sequence.flags.append((not self.started, end))
        heard = int(sum(c.size for c in self.sequence.chunks))
        words = [SimpleNamespace(word="w", start=0.1, end=0.2, confidence=0.9)] if end else []
        return SimpleNamespace(text=f"heard {heard}", segments=words)

    def send(self, chunk: np.ndarray) -> Any:
        return self._answer(chunk, end=False)

    def finish(self) -> Any:
        return self._answer(np.zeros(0, dtype=np.float32), end=True)

    def end_utterance(self) -> Any:
        """END without the model's second pass: the utterance's audio comes back."""
        answer = self._answer(np.zeros(0, dtype=np.float32), end=True)
        return SimpleNamespace(text=answer.text, segments=[], audio=np.concatenate(self.sequence.utterance))


class FakeInference:
    def __init__(self) -> None:
        self.sequences: dict[int, FakeSequence] = {}
        self.translated: list[tuple[str, str, str]] = []
        self.transcribed: list[tuple[str, int]] = []

    def open_stream(self, selection: Any, language: str, sequence_id: int) -> FakeSession:
        return FakeSession(self.sequences.setdefault(sequence_id, FakeSequence()))

    def transcribe(self, selection: Any, audio: np.ndarray, language: str) -> Any:
        """The batch `asr` model: the utterance's sample count as text, one word."""
        self.transcribed.append((selection.model, audio.size))
        text = f"heard {audio.size}"
        words = [
            SimpleNamespace(word=w, start=0.1 * i, end=0.1 * i + 0.1, confidence=0.9)
            for i, w in enumerate(text.split())
        ]
        return SimpleNamespace(text=text, segments=words)

    def translate(self, selection: Any, texts: list[str], source: str, target: str) -> list[Any]:
        self.translated += [(text, source, target) for text in texts]
        return [SimpleNamespace(source=text, target=f"[{target}] {text}") for text in texts]


class FakeRegistry:
    def select(
        self,
        task: str,
        *,
        key: str,
        language: str | None = None,
        source: str | None = None,
        target: str | None = None,
    ) -> Any:
        if task == "translation":
            if (source, target) != ("en", "es"):
                raise LanguageError(ErrorCode.LANGUAGE_PAIR_UNSUPPORTED, f"no model for {source}->{target}")
            return SimpleNamespace(model="translation", version="1", limits=SimpleNamespace(max_audio_seconds=None))
        if language != "en":
            raise LanguageError(ErrorCode.LANGUAGE_UNSUPPORTED, f"no streaming model for {language}")
        return SimpleNamespace(model=task, version="1", limits=SimpleNamespace(max_audio_seconds=600.0))


class FakeRequestLog:
    def __init__(self) -> None:
        self.entries: dict[str, RequestLogEntry] = {}

    def record(self, entry: RequestLogEntry, results: Any = ()) -> bool:
        return self.entries.setdefault(entry.request_id, entry) is entry

    def list_for_tenant(self, tenant_id: uuid.UUID, limit: int = 100) -> list[Any]:
        return []


class FakePush:
    """@connections: what each connection was sent; a connection in `gone` answers 410."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.gone: set[str] = set()

    def send(self, connection_id: str, messages: list[str]) -> bool:
        if connection_id in self.gone:
            return False
        self.sent += [(connection_id, json.loads(m)) for m in messages]
        return True


class FakeTimers:
    """The stream-timers queue: what was scheduled, with its delay, in order."""

    def __init__(self) -> None:
        self.scheduled: list[tuple[StreamTimer, float]] = []

    def schedule(self, timer: StreamTimer, delay_s: float) -> None:
        self.scheduled.append((timer, delay_s))


@dataclass
class FakeDeps:
    store: FakeStore = field(default_factory=FakeStore)
    registry: FakeRegistry = field(default_factory=FakeRegistry)
    inference: FakeInference = field(default_factory=FakeInference)
    request_log: FakeRequestLog = field(default_factory=FakeRequestLog)
    rate_limiter: Any = field(default_factory=lambda: SimpleNamespace(acquire=lambda key_id, limits: None))
    push: FakePush = field(default_factory=lambda: FakePush())
    timers: FakeTimers = field(default_factory=FakeTimers)


def caller(*scopes: Scope) -> Caller:
    return Caller(
        tenant_id=uuid.uuid4(),
        tenant_name="t",
        key_id=uuid.uuid4(),
        key_prefix="spk_x",
        scopes=frozenset(s.value for s in scopes or (Scope.STREAMING,)),
        limits=KeyLimits(),
    )


def pcm(samples: int, value: int = 1000) -> str:
    return base64.b64encode(np.full(samples, value, dtype="<i2").tobytes()).decode()


def send(deps: FakeDeps, who: Caller, connection: str = CONNECTION, **message: Any) -> list[dict[str, Any]]:
    """As the handler: the answers, then what the invocation pushed after them (the finals it computed)."""
    return send_raw(deps, who, json.dumps(message), connection)


def send_raw(deps: FakeDeps, who: Caller, body: str, connection: str = CONNECTION) -> list[dict[str, Any]]:
    before = len(deps.push.sent)
    reply = handle_message(connection, who, body, deps)  # type: ignore[arg-type]
    during = len(deps.push.sent)  # `stop` pushes the earlier finals itself, before its answers
    answers = [a.model_dump(mode="json", by_alias=True, exclude_none=True) for a in reply.answers]
    finish_reply(reply, deps)  # type: ignore[arg-type]
    early = [m for c, m in deps.push.sent[before:during] if c == connection]
    late = [m for c, m in deps.push.sent[during:] if c == connection]
    return early + answers + late


@pytest.fixture
def started() -> tuple[FakeDeps, Caller]:
    deps, who = FakeDeps(), caller()
    connect(who, CONNECTION, deps)  # type: ignore[arg-type]
    (ready,) = send(deps, who, action="start", language="en")
    assert ready["type"] == "ready" and ready["ack"] == -1 and ready["resumeToken"]
    assert ready["limits"]["maxStreamSeconds"] == MAX_STREAM_SECONDS
    assert ready["limits"]["maxUtteranceSeconds"] == MAX_UTTERANCE_S
    return deps, who


def test_connect_needs_the_streaming_scope():
    from speech_core.errors import AuthError

    with pytest.raises(AuthError) as refused:
        connect(caller(Scope.ASR), CONNECTION, FakeDeps())  # type: ignore[arg-type]
    assert refused.value.code is ErrorCode.AUTH_INSUFFICIENT_SCOPE


def test_partials_carry_the_ack_and_stop_gives_final_then_end(started):
    deps, who = started
    first = send(deps, who, action="audio", seq=0, audio=pcm(4000))
    second = send(deps, who, action="audio", seq=1, audio=pcm(4000))
    assert [a["type"] for a in first + second] == ["partial", "partial"]
    assert (first[0]["ack"], second[0]["ack"]) == (0, 1)
    assert second[0]["end"] == 0.5
    final, end = send(deps, who, action="stop")
    assert final["type"] == "final" and final["text"] == "heard 8000" and final["words"][0]["word"] == "heard"
    assert {k: end[k] for k in ("type", "ack", "audioSeconds", "billedSeconds")} == {
        "type": "end",
        "ack": 1,
        "audioSeconds": 0.5,
        "billedSeconds": 1.0,
    }
    # two partials: the session's latency percentiles (each under a second against fakes)
    assert 0 < end["partialLatencyP50Ms"] <= end["partialLatencyP95Ms"] < 1000
    (entry,) = deps.request_log.entries.values()
    assert entry.task == "streaming" and entry.audio_seconds == 0.5 and entry.api_key_id == who.key_id
    # one START, one END on the sequence: state lives in the model, each frame sent once
    (sequence,) = deps.inference.sequences.values()
    assert sequence.flags == [(True, False), (False, False), (False, True)]


def test_out_of_order_and_duplicated_frames_reach_the_model_once_in_order(started):
    deps, who = started
    frames = {seq: pcm(1600, value=seq + 1) for seq in range(5)}
    for seq in [1, 0, 0, 3, 2, 1, 4, 4]:
        send(deps, who, action="audio", seq=seq, audio=frames[seq])
    (sequence,) = deps.inference.sequences.values()
    heard = np.concatenate(sequence.chunks)
    expected = np.concatenate([np.full(1600, seq + 1) for seq in range(5)]) / 32768.0
    assert np.allclose(heard, expected)
    assert deps.store.rows[CONNECTION].next_seq == 5 and deps.store.rows[CONNECTION].pending_frames == {}


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("not json", "request.invalid"),
        (json.dumps({"action": "dance"}), "request.invalid"),
        (json.dumps({"action": "audio", "seq": 0, "audio": "%%%"}), "audio.invalid_base64"),
        (json.dumps({"action": "audio", "seq": 0, "audio": "AA=="}), "audio.corrupt"),
        (json.dumps({"action": "audio", "seq": 0, "audio": pcm(MAX_FRAME_AUDIO_BYTES)}), "audio.too_large"),
    ],
)
def test_a_bad_frame_is_answered_with_an_error_and_the_stream_goes_on(started, message, code):
    deps, who = started
    send(deps, who, action="audio", seq=0, audio=pcm(160))
    (error,) = handle_message(CONNECTION, who, message, deps).answers  # type: ignore[arg-type]
    assert error.type == "error" and error.code == code and error.ack == 0
    (partial,) = send(deps, who, action="audio", seq=1, audio=pcm(160))
    assert partial["type"] == "partial" and partial["ack"] == 1


def test_audio_before_start_and_after_stop_is_refused(started):
    deps, who = started
    other = FakeDeps(store=deps.store)
    connect(who, "conn-2", other)  # type: ignore[arg-type]
    (early,) = handle_message("conn-2", who, json.dumps({"action": "audio", "seq": 0, "audio": pcm(8)}), other).answers  # type: ignore[arg-type]
    assert early.code == "stream.not_started"
    send(deps, who, action="stop")
    (late,) = send(deps, who, action="audio", seq=0, audio=pcm(8))
    assert late["code"] == "stream.not_started"


def test_a_gap_longer_than_the_window_is_reported(started):
    deps, who = started
    for seq in range(1, MAX_PENDING_FRAMES + 1):
        assert send(deps, who, action="audio", seq=seq, audio=pcm(8)) == []
    (error,) = send(deps, who, action="audio", seq=MAX_PENDING_FRAMES + 1, audio=pcm(8))
    assert error["code"] == "stream.gap" and error["details"] == {"missingSeq": 0}


def test_unsupported_language_is_an_error_frame():
    deps, who = FakeDeps(), caller()
    connect(who, CONNECTION, deps)  # type: ignore[arg-type]
    (error,) = send(deps, who, action="start", language="xx")
    assert error["code"] == "language.unsupported"


def test_disconnect_mid_stream_records_usage_once_and_keeps_the_sequence_for_a_resume(started):
    deps, who = started
    send(deps, who, action="audio", seq=0, audio=pcm(16000))
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]  # redelivered: nothing more
    (sequence,) = deps.inference.sequences.values()
    assert sequence.flags[-1] == (True, False)  # not ended: a resume continues it (the model frees it idle)
    (entry,) = deps.request_log.entries.values()
    assert entry.audio_seconds == 1.0
    assert deps.store.rows[CONNECTION].state is ConnectionState.DETACHED
    assert deps.store.count_live_streams(who.key_id) == 0


def test_disconnect_before_start_or_after_stop_closes():
    deps, who = FakeDeps(), caller()
    connect(who, CONNECTION, deps)  # type: ignore[arg-type]
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    assert deps.store.rows[CONNECTION].state is ConnectionState.CLOSED and not deps.request_log.entries


def test_a_key_holds_a_bounded_number_of_live_streams():
    deps, who = FakeDeps(), caller()
    for n in range(MAX_CONCURRENT_STREAMS_PER_KEY + 1):
        connect(who, f"conn-{n}", deps)  # type: ignore[arg-type]
        (answer,) = handle_message(f"conn-{n}", who, json.dumps({"action": "start", "language": "en"}), deps).answers  # type: ignore[arg-type]
        expected = "ready" if n < MAX_CONCURRENT_STREAMS_PER_KEY else "error"
        assert answer.type == expected, n
    assert answer.code == "rate.limited" and answer.details["maxConcurrentStreams"] == MAX_CONCURRENT_STREAMS_PER_KEY
    # When one stream stops, Then a new one may start
    handle_message("conn-0", who, json.dumps({"action": "stop"}), deps)  # type: ignore[arg-type]
    (ready,) = handle_message("conn-10", who, json.dumps({"action": "start", "language": "en"}), deps).answers  # type: ignore[arg-type]
    assert ready.type == "ready"


def test_a_gap_that_lasts_too_long_is_reported_and_the_resent_frame_closes_it(started, monkeypatch):
    deps, who = started
    now = [1000.0]
    monkeypatch.setattr(stream_service, "clock", lambda: now[0])
    # Given frame 0 is lost and frame 1 is held
    assert send(deps, who, action="audio", seq=1, audio=pcm(160)) == []
    # When frame 2 arrives after the gap has lasted too long, Then it is refused with the missing seq
    now[0] += MAX_GAP_WAIT_S + 0.1
    (error,) = send(deps, who, action="audio", seq=2, audio=pcm(160))
    assert error["code"] == "stream.gap" and error["details"] == {"missingSeq": 0} and error["seq"] == 2
    # And when the client resends from the missing frame, everything is applied once, in order
    (partial,) = send(deps, who, action="audio", seq=0, audio=pcm(160))
    assert partial["ack"] == 1
    (partial,) = send(deps, who, action="audio", seq=2, audio=pcm(160))
    assert partial["ack"] == 2


# --- resume -----------------------------------------------------------------------------------------------------
def _resume(deps: FakeDeps, who: Caller, connection: str, session_id: str, token: str, **extra: Any) -> dict[str, Any]:
    connect(who, connection, deps)  # type: ignore[arg-type]
    body = json.dumps({"action": "resume", "sessionId": session_id, "resumeToken": token, **extra})
    (answer, *_) = handle_message(connection, who, body, deps).answers  # type: ignore[arg-type]
    return answer.model_dump(mode="json", by_alias=True, exclude_none=True)


def _start(deps: FakeDeps, who: Caller, **options: Any) -> dict[str, Any]:
    connect(who, CONNECTION, deps)  # type: ignore[arg-type]
    (ready,) = send(deps, who, action="start", language="en", **options)
    assert ready["type"] == "ready", ready
    return ready


def test_a_resumed_stream_continues_the_same_sequence_with_nothing_lost_or_repeated():
    deps, who = FakeDeps(), caller()
    ready = _start(deps, who)
    frames = [pcm(1600, value=seq + 1) for seq in range(6)]
    for seq in range(4):
        send(deps, who, action="audio", seq=seq, audio=frames[seq])
    # Given the connection drops after frame 3 (frame 3's answer was lost: the client saw ack 2)
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    # When the client resumes on a new connection with its token and last ack
    again = _resume(deps, who, "conn-2", ready["sessionId"], ready["resumeToken"], lastAck=2)
    # Then the session goes on at the server's ack; resending frame 3 is a duplicate
    assert again["type"] == "ready" and again["resumed"] and again["ack"] == 3
    assert again["sessionId"] == ready["sessionId"]
    for seq in range(3, 6):
        answers = send(deps, who, "conn-2", action="audio", seq=seq, audio=frames[seq])
        assert [a["type"] for a in answers] == ([] if seq == 3 else ["partial"])
    final, end = send(deps, who, "conn-2", action="stop")
    # one Triton sequence: one START, every frame once, in order, one END
    (sequence,) = deps.inference.sequences.values()
    assert [f for f in sequence.flags if f[0]] == [(True, False)] and sequence.flags[-1] == (False, True)
    heard = np.concatenate(sequence.chunks)
    assert np.allclose(heard, np.concatenate([np.full(1600, seq + 1) for seq in range(6)]) / 32768.0)
    assert final["text"] == "heard 9600" and end["audioSeconds"] == 0.6 and end["ack"] == 5
    # usage: each connection's own audio once, adding up to the session's
    entries = sorted(deps.request_log.entries.values(), key=lambda e: e.request_id)
    assert [e.request_id for e in entries] == [f"stream-{ready['sessionId']}", f"stream-{ready['sessionId']}-conn-2"]
    assert [e.audio_seconds for e in entries] == [0.4, 0.2]
    assert deps.store.rows[CONNECTION].state is ConnectionState.CLOSED


def test_a_resume_before_the_old_connection_is_seen_to_drop_takes_it_over():
    deps, who = FakeDeps(), caller()
    ready = _start(deps, who)
    send(deps, who, action="audio", seq=0, audio=pcm(1600))
    # API Gateway has not noticed the drop yet: the old connection is still streaming
    again = _resume(deps, who, "conn-2", ready["sessionId"], ready["resumeToken"])
    assert again["type"] == "ready" and again["ack"] == 0
    # its share is recorded at the takeover; a late frame or $disconnect there changes nothing
    assert [e.audio_seconds for e in deps.request_log.entries.values()] == [0.1]
    (late,) = send(deps, who, action="audio", seq=1, audio=pcm(1600))
    assert late["code"] == "resource.not_found"
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    assert len(deps.request_log.entries) == 1 and deps.store.count_live_streams(who.key_id) == 1


@pytest.mark.parametrize("case", ["wrong token", "other tenant", "unknown session", "window passed", "stopped"])
def test_a_resume_is_refused_unless_token_tenant_and_window_match(case):
    deps, who = FakeDeps(), caller()
    ready = _start(deps, who)
    send(deps, who, action="audio", seq=0, audio=pcm(1600))
    session_id, token, resumer = ready["sessionId"], ready["resumeToken"], who
    if case == "stopped":
        send(deps, who, action="stop")
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    if case == "wrong token":
        token = token[:-2] + "xx"
    elif case == "other tenant":
        resumer = caller()
    elif case == "unknown session":
        session_id = str(uuid.uuid4())
    elif case == "window passed":
        row = deps.store.rows[CONNECTION]
        row.disconnected_at = datetime.now(UTC) - timedelta(seconds=RESUME_WINDOW_S + 1)
    answer = _resume(deps, resumer, "conn-2", session_id, token)
    assert answer["type"] == "error" and answer["code"] == "stream.resume_refused"
    assert deps.store.rows["conn-2"].session_id is None


def test_a_resume_on_a_started_connection_or_with_an_ack_ahead_is_invalid():
    deps, who = FakeDeps(), caller()
    ready = _start(deps, who)
    send(deps, who, action="audio", seq=0, audio=pcm(1600))
    (again,) = send(deps, who, action="resume", sessionId=ready["sessionId"], resumeToken=ready["resumeToken"])
    assert again["code"] == "request.invalid"
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    ahead = _resume(deps, who, "conn-2", ready["sessionId"], ready["resumeToken"], lastAck=7)
    assert ahead["code"] == "request.invalid" and ahead["details"] == {"ack": 0}


# --- endpointing, translation, limits -------------------------------------------------------------------------
def test_endpointing_sends_a_final_at_each_silence_and_finalize_still_works():
    deps, who = FakeDeps(), caller()
    _start(deps, who, endpointing=300)
    speech, silence = pcm(4000, value=3000), pcm(4000, value=0)  # 250 ms each
    kinds = []
    for seq, frame in enumerate([silence, speech, silence, silence, speech, speech]):
        kinds.append([a["type"] for a in send(deps, who, action="audio", seq=seq, audio=frame)])
    # leading silence ends nothing; 500 ms of silence after speech is an endpoint
    assert kinds == [["partial"], ["partial"], ["partial"], ["partial", "final"], ["partial"], ["partial"]]
    ack, final = send(deps, who, action="finalize")  # acknowledged at once, the final after
    assert ack == {"type": "ack", "ack": 5}
    assert final["type"] == "final" and final["start"] == 1.0 and final["end"] == 1.5
    (sequence,) = deps.inference.sequences.values()
    assert sequence.flags.count((False, True)) == 2


def test_translate_to_sends_the_translation_of_each_final():
    deps, who = FakeDeps(), caller()
    _start(deps, who, translateTo="es")
    send(deps, who, action="audio", seq=0, audio=pcm(1600))
    _, final, translation = send(deps, who, action="finalize")
    assert translation["type"] == "translation" and translation["text"] == final["text"]
    assert translation["translation"] == f"[es] {final['text']}"
    assert (translation["sourceLanguage"], translation["targetLanguage"]) == ("en", "es")
    assert (translation["start"], translation["end"]) == (final["start"], final["end"])
    # an empty final is not translated
    assert [a["type"] for a in send(deps, who, action="stop")] == ["final", "end"]


def test_without_interim_results_frames_are_acknowledged_and_finals_are_unchanged():
    deps, who = FakeDeps(), caller()
    _start(deps, who, interimResults=False)
    answers = [send(deps, who, action="audio", seq=seq, audio=pcm(1600)) for seq in (1, 0, 0, 2)]
    # held behind the gap: nothing; each applied frame: one ack (no text); a duplicate: nothing
    assert answers == [[], [{"type": "ack", "ack": 1}], [], [{"type": "ack", "ack": 2}]]
    final, end = send(deps, who, action="stop")
    assert final["type"] == "final" and final["text"] and final["ack"] == 2
    # the latency of partials never sent is not reported
    assert end["type"] == "end" and "partialLatencyP50Ms" not in end and end["audioSeconds"] > 0


def test_an_unsupported_translation_pair_is_refused_at_start():
    deps, who = FakeDeps(), caller()
    connect(who, CONNECTION, deps)  # type: ignore[arg-type]
    (error,) = send(deps, who, action="start", language="en", translateTo="hi")
    assert error["code"] == "language.pair_unsupported"


def test_frames_past_the_per_second_limit_are_refused_and_not_consumed(started, monkeypatch):
    deps, who = started
    monkeypatch.setattr(stream_service, "clock", lambda: 5000.5)
    for seq in range(MAX_FRAMES_PER_SECOND):
        (partial,) = send(deps, who, action="audio", seq=seq, audio=pcm(160))
    (error,) = send(deps, who, action="audio", seq=MAX_FRAMES_PER_SECOND, audio=pcm(160))
    assert error["code"] == "rate.limited" and error["details"]["retryAfterSeconds"] == 1
    monkeypatch.setattr(stream_service, "clock", lambda: 5001.0)
    (partial,) = send(deps, who, action="audio", seq=MAX_FRAMES_PER_SECOND, audio=pcm(160))
    assert partial["ack"] == MAX_FRAMES_PER_SECOND


def test_a_stream_longer_than_the_maximum_is_refused(started):
    deps, who = started
    deps.store.rows[CONNECTION].audio_seconds = MAX_STREAM_SECONDS - 0.05
    (error,) = send(deps, who, action="audio", seq=0, audio=pcm(1600))
    assert error["code"] == "audio.too_long" and error["ack"] == -1


def test_an_utterance_idle_too_long_ends_at_the_next_message(started, monkeypatch):
    deps, who = started
    now = [1000.0]
    monkeypatch.setattr(stream_service, "clock", lambda: now[0])
    send(deps, who, action="audio", seq=0, audio=pcm(1600))
    now[0] += MAX_AUDIO_IDLE_S + 1
    # the idle final is computed after the message's own answer
    keepalive, final = send(deps, who, action="keepalive")
    assert final["type"] == "final" and final["text"] == "heard 1600" and keepalive["type"] == "keepalive"
    assert final["utterance"] == 0
    # a refused message after the idle final keeps the final (and is refused on its own)
    send(deps, who, action="audio", seq=1, audio=pcm(1600))
    now[0] += MAX_AUDIO_IDLE_S + 1
    error, final = send(deps, who, action="audio", seq=2, audio="%%%")
    assert final["type"] == "final" and final["utterance"] == 1 and error["code"] == "audio.invalid_base64"
    assert deps.store.rows[CONNECTION].utterance_open is False


def test_an_utterance_ends_by_itself_at_the_longest_utterance(started):
    deps, who = started
    second = pcm(16000, value=3000)  # 1 s of speech a frame: no silence to end it
    count = int(MAX_UTTERANCE_S) + 1
    kinds = [[a["type"] for a in send(deps, who, action="audio", seq=seq, audio=second)] for seq in range(count)]
    assert kinds.index(["partial", "final"]) == int(MAX_UTTERANCE_S) - 1 and kinds[-1] == ["partial"]
    (final, end) = send(deps, who, action="stop")
    assert final["start"] == MAX_UTTERANCE_S and end["audioSeconds"] == count


def test_a_failed_endpoint_final_keeps_the_frame_and_starts_a_new_utterance(monkeypatch):
    from speech_core.errors import InferenceError

    deps, who = FakeDeps(), caller()
    _start(deps, who, endpointing=300)
    send(deps, who, action="audio", seq=0, audio=pcm(4000, value=3000))

    def timed_out(self: FakeSession) -> Any:
        raise InferenceError(ErrorCode.MODEL_TIMEOUT, "the model took too long")

    monkeypatch.setattr(FakeSession, "end_utterance", timed_out)
    partial, error = send(deps, who, action="audio", seq=1, audio=pcm(8000, value=0))
    assert partial["ack"] == 1 and error["code"] == "model.timeout" and error["ack"] == 1
    row = deps.store.rows[CONNECTION]
    assert row.next_seq == 2 and not row.utterance_open and row.utterance_start_s == 0.75
