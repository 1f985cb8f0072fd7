"""The stream service against fakes: the protocol's answers, exactly-once audio, usage recorded once."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from speech_core.contracts.streaming import (
    MAX_CONCURRENT_STREAMS_PER_KEY,
    MAX_FRAME_AUDIO_BYTES,
    MAX_GAP_WAIT_S,
    MAX_PENDING_FRAMES,
)
from speech_core.db.records import ConnectionState, RequestLogEntry, StreamState
from speech_core.errors import ErrorCode, LanguageError
from speech_core.keys.caller import Caller
from speech_core.keys.scopes import KeyLimits, Scope
from speech_core.streaming import stream_service
from speech_core.streaming.stream_service import connect, disconnect, handle_message

CONNECTION = "conn-1"


class FakeStore:
    """Rows in memory; a block that raises leaves the row as it was (like the rolled-back transaction)."""

    def __init__(self) -> None:
        self.rows: dict[str, StreamState] = {}

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
            self.rows[connection_id] = copy


@dataclass
class FakeSequence:
    """What Triton's sequence batcher saw for one sequence id: the chunks and the START/END flags."""

    chunks: list[np.ndarray] = field(default_factory=list)
    flags: list[tuple[bool, bool]] = field(default_factory=list)


class FakeSession:
    def __init__(self, sequence: FakeSequence) -> None:
        self.sequence, self.started, self.samples_sent = sequence, False, 0

    def _answer(self, chunk: np.ndarray, end: bool) -> Any:
        self.sequence.chunks.append(chunk)
        self.sequence.flags.append((not self.started, end))
        heard = int(sum(c.size for c in self.sequence.chunks))
        words = [SimpleNamespace(word="w", start=0.1, end=0.2, confidence=0.9)] if end else []
        return SimpleNamespace(text=f"heard {heard}", segments=words)

    def send(self, chunk: np.ndarray) -> Any:
        return self._answer(chunk, end=False)

    def finish(self) -> Any:
        return self._answer(np.zeros(0, dtype=np.float32), end=True)


class FakeInference:
    def __init__(self) -> None:
        self.sequences: dict[int, FakeSequence] = {}

    def open_stream(self, selection: Any, language: str, sequence_id: int) -> FakeSession:
        return FakeSession(self.sequences.setdefault(sequence_id, FakeSequence()))


class FakeRegistry:
    def select(self, task: str, *, key: str, language: str | None = None) -> Any:
        if language != "en":
            raise LanguageError(ErrorCode.LANGUAGE_UNSUPPORTED, f"no streaming model for {language}")
        return SimpleNamespace(model="asr_streaming", version="1", limits=SimpleNamespace(max_audio_seconds=600.0))


class FakeRequestLog:
    def __init__(self) -> None:
        self.entries: dict[str, RequestLogEntry] = {}

    def record(self, entry: RequestLogEntry, results: Any = ()) -> bool:
        return self.entries.setdefault(entry.request_id, entry) is entry

    def list_for_tenant(self, tenant_id: uuid.UUID, limit: int = 100) -> list[Any]:
        return []


@dataclass
class FakeDeps:
    store: FakeStore = field(default_factory=FakeStore)
    registry: FakeRegistry = field(default_factory=FakeRegistry)
    inference: FakeInference = field(default_factory=FakeInference)
    request_log: FakeRequestLog = field(default_factory=FakeRequestLog)
    rate_limiter: Any = field(default_factory=lambda: SimpleNamespace(acquire=lambda key_id, limits: None))
    push: Any = None


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


def send(deps: FakeDeps, who: Caller, **message: Any) -> list[dict[str, Any]]:
    answers = handle_message(CONNECTION, who, json.dumps(message), deps)  # type: ignore[arg-type]
    return [a.model_dump(mode="json", by_alias=True, exclude_none=True) for a in answers]


@pytest.fixture
def started() -> tuple[FakeDeps, Caller]:
    deps, who = FakeDeps(), caller()
    connect(who, CONNECTION, deps)  # type: ignore[arg-type]
    (ready,) = send(deps, who, action="start", language="en")
    assert ready["type"] == "ready" and ready["ack"] == -1 and ready["resumeToken"]
    assert ready["limits"]["maxStreamSeconds"] == 600.0
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
    assert final["type"] == "final" and final["text"] == "heard 8000" and final["words"][0]["word"] == "w"
    assert end == {"type": "end", "ack": 1, "audioSeconds": 0.5, "billedSeconds": 1.0}
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
    (error,) = handle_message(CONNECTION, who, message, deps)  # type: ignore[arg-type]
    assert error.type == "error" and error.code == code and error.ack == 0
    (partial,) = send(deps, who, action="audio", seq=1, audio=pcm(160))
    assert partial["type"] == "partial" and partial["ack"] == 1


def test_audio_before_start_and_after_stop_is_refused(started):
    deps, who = started
    other = FakeDeps(store=deps.store)
    connect(who, "conn-2", other)  # type: ignore[arg-type]
    (early,) = handle_message("conn-2", who, json.dumps({"action": "audio", "seq": 0, "audio": pcm(8)}), other)  # type: ignore[arg-type]
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


def test_disconnect_ends_the_sequence_and_records_usage_once(started):
    deps, who = started
    send(deps, who, action="audio", seq=0, audio=pcm(16000))
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]
    disconnect(CONNECTION, deps)  # type: ignore[arg-type]  # redelivered: nothing more
    (sequence,) = deps.inference.sequences.values()
    assert sequence.flags[-1] == (False, True)
    (entry,) = deps.request_log.entries.values()
    assert entry.audio_seconds == 1.0
    assert deps.store.rows[CONNECTION].state is ConnectionState.CLOSED


def test_a_key_holds_a_bounded_number_of_live_streams():
    deps, who = FakeDeps(), caller()
    for n in range(MAX_CONCURRENT_STREAMS_PER_KEY + 1):
        connect(who, f"conn-{n}", deps)  # type: ignore[arg-type]
        (answer,) = handle_message(f"conn-{n}", who, json.dumps({"action": "start", "language": "en"}), deps)  # type: ignore[arg-type]
        expected = "ready" if n < MAX_CONCURRENT_STREAMS_PER_KEY else "error"
        assert answer.type == expected, n
    assert answer.code == "rate.limited" and answer.details["maxConcurrentStreams"] == MAX_CONCURRENT_STREAMS_PER_KEY
    # When one stream stops, Then a new one may start
    handle_message("conn-0", who, json.dumps({"action": "stop"}), deps)  # type: ignore[arg-type]
    (ready,) = handle_message("conn-10", who, json.dumps({"action": "start", "language": "en"}), deps)  # type: ignore[arg-type]
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
