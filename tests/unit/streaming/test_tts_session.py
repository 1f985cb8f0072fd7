"""Streaming TTS against fakes: sentences out as they are synthesized, `clear` beside a synthesizing
invocation, one synthesizer per connection (the lease), nothing lost on a model failure, usage once."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from speech_core.contracts.streaming import MAX_TTS_CHUNK_BYTES, MAX_TTS_PENDING_TEXTS
from speech_core.db.records import ConnectionState, RequestLogEntry
from speech_core.db.repositories.tts_streams import TtsStreamRow
from speech_core.errors import ErrorCode, InferenceError, LanguageError
from speech_core.keys.caller import Caller
from speech_core.keys.scopes import KeyLimits, Scope
from speech_core.streaming import tts_session
from speech_core.streaming.tts_audio import PAUSE_S
from speech_core.streaming.tts_session import disconnect_tts, handle_tts_message, is_tts_stream
from speech_core.streaming.tts_state import LEASE_S, TtsState

CONNECTION = "conn-tts"
RATE = 16_000
#: the fake model speaks 1 000 samples (62.5 ms) per character
SAMPLES_PER_CHAR = 1_000


class FakeTtsStore:
    """Rows in memory; a block that raises leaves the row as it was (like the rolled-back transaction)."""

    def __init__(self) -> None:
        self.rows: dict[str, TtsStreamRow] = {}

    def open(self, connection_id: str) -> None:
        self.rows[connection_id] = TtsStreamRow(
            connection_id=connection_id,
            tenant_id=uuid.uuid4(),
            api_key_id=uuid.uuid4(),
            state=ConnectionState.OPEN,
            task=None,
            source_language=None,
            sample_rate=None,
            session_id=None,
            usage_recorded_at=None,
            tts_state={},
        )

    def task_of(self, connection_id: str) -> str | None:
        row = self.rows.get(connection_id)
        return row.task if row else None

    @contextmanager
    def locked(self, connection_id: str) -> Iterator[TtsStreamRow | None]:
        row = self.rows.get(connection_id)
        copy = row.model_copy(deep=True) if row else None
        yield copy
        if copy is not None:
            self.rows[connection_id] = copy

    def state(self, connection_id: str = CONNECTION) -> TtsState:
        return TtsState.model_validate(self.rows[connection_id].tts_state)


class FakeInference:
    """Speaks SAMPLES_PER_CHAR samples per character at 16 kHz; `during` runs inside a synthesis (a message
    another invocation handles meanwhile); `fail` makes the next synthesis fail."""

    def __init__(self) -> None:
        self.spoken: list[str] = []
        self.during: dict[int, Callable[[], None]] = {}
        self.fail = False

    def synthesize(self, selection: Any, text: str, language: str, voice: str) -> Any:
        if self.fail:
            self.fail = False
            raise InferenceError(ErrorCode.MODEL_FAILED, "the model failed")
        self.spoken.append(text)
        if action := self.during.pop(len(self.spoken), None):
            action()
        audio = np.full(len(text) * SAMPLES_PER_CHAR, 0.25, dtype=np.float32)
        return SimpleNamespace(audio=audio, sample_rate=RATE, model_version="1")


class FakeRegistry:
    def select(self, task: Any, *, key: str, language: str | None = None, voice: str | None = None) -> Any:
        if language != "en":
            raise LanguageError(ErrorCode.LANGUAGE_UNSUPPORTED, f"no TTS model for {language}")
        return SimpleNamespace(model="tts", version="1", limits=SimpleNamespace(max_text_chars=500))


class FakeRequestLog:
    def __init__(self) -> None:
        self.entries: dict[str, RequestLogEntry] = {}

    def record(self, entry: RequestLogEntry, results: Any = ()) -> bool:
        return self.entries.setdefault(entry.request_id, entry) is entry


@dataclass
class FakePush:
    """Every @connections call: one list of messages per call (a sentence's chunks go in one call)."""

    calls: list[list[dict[str, Any]]] = field(default_factory=list)

    def send(self, connection_id: str, messages: list[str]) -> None:
        self.calls.append([json.loads(m) for m in messages])

    @property
    def audio(self) -> list[dict[str, Any]]:
        return [m for call in self.calls for m in call if m["type"] == "audio"]


@dataclass
class FakeDeps:
    tts_store: FakeTtsStore = field(default_factory=FakeTtsStore)
    streams: Any = field(default_factory=lambda: SimpleNamespace(count_live_streams=lambda key_id: 0))
    registry: FakeRegistry = field(default_factory=FakeRegistry)
    inference: FakeInference = field(default_factory=FakeInference)
    request_log: FakeRequestLog = field(default_factory=FakeRequestLog)
    rate_limiter: Any = field(default_factory=lambda: SimpleNamespace(acquire=lambda key_id, limits: None))
    push: FakePush = field(default_factory=FakePush)


CALLER = Caller(
    tenant_id=uuid.uuid4(),
    tenant_name="t",
    key_id=uuid.uuid4(),
    key_prefix="spk_x",
    scopes=frozenset({Scope.STREAMING.value}),
    limits=KeyLimits(),
)


def send(deps: FakeDeps, invocation: str | None = None, **message: Any) -> list[dict[str, Any]]:
    answers = handle_tts_message(CONNECTION, CALLER, json.dumps(message), deps, invocation)  # type: ignore[arg-type]
    return [a.model_dump(mode="json", by_alias=True, exclude_none=True) for a in answers]


@pytest.fixture
def deps() -> FakeDeps:
    deps = FakeDeps()
    deps.tts_store.open(CONNECTION)
    return deps


@pytest.fixture
def started(deps: FakeDeps) -> FakeDeps:
    (ready,) = send(deps, action="start", task="tts", language="en", gender="male", sampleRate=RATE)
    assert ready["type"] == "ready" and ready["limits"]["sampleRate"] == RATE
    return deps


def seconds_of(audio: list[dict[str, Any]]) -> float:
    return sum(len(base64.b64decode(m["audio"])) // 2 for m in audio) / RATE


SENTENCES = ["One two three.", "Four five six seven.", "Eight nine."]
TEXT = " ".join(SENTENCES)


def test_each_sentence_goes_out_as_soon_as_it_is_synthesized_in_chunks_under_the_frame_limit(started: FakeDeps):
    # When a three-sentence text is sent and flushed
    assert send(started, action="text", seq=0, text=TEXT, flush=True) == []
    # Then the model spoke it sentence by sentence, each sentence pushed on its own before the next was made
    assert started.inference.spoken == SENTENCES
    assert len(started.push.calls) == 3
    audio = started.push.audio
    assert [m["seq"] for m in audio] == list(range(len(audio)))
    assert all(len(base64.b64decode(m["audio"])) <= MAX_TTS_CHUNK_BYTES for m in audio)
    assert all(len(json.dumps(m)) < 32 * 1024 for m in audio)
    assert [m["final"] for m in audio].count(True) == 3 and audio[-1]["final"]
    # And the audio joined lasts what the sync TTS joins: the sentences and a pause between each two
    expected = sum(len(s) for s in SENTENCES) * SAMPLES_PER_CHAR / RATE + 2 * PAUSE_S
    assert seconds_of(audio) == pytest.approx(expected, abs=1e-3)
    assert audio[-1]["end"] == pytest.approx(expected, abs=1e-3)
    assert all(a["end"] == pytest.approx(b["start"], abs=1e-3) for a, b in zip(audio, audio[1:], strict=False))


def test_an_unfinished_sentence_waits_for_more_text_or_stop(started: FakeDeps):
    send(started, action="text", seq=0, text="First sentence. And the sec")
    assert started.inference.spoken == ["First sentence."]
    send(started, action="text", seq=1, text="ond one")
    assert started.inference.spoken == ["First sentence."]
    end = send(started, action="stop")
    assert started.inference.spoken == ["First sentence.", "And the second one"]
    assert [a["type"] for a in end] == ["end"]
    assert end[0]["characters"] == len("First sentence.") + len("And the second one")


def test_clear_beside_a_synthesizing_invocation_drops_the_queue_and_the_sentence_in_flight(started: FakeDeps):
    # Given a clear that arrives (another invocation) while the second sentence is being synthesized
    cleared: list[dict[str, Any]] = []
    started.inference.during[2] = lambda: cleared.extend(send(started, "invocation-2", action="clear"))
    send(started, "invocation-1", action="text", seq=0, text=TEXT, flush=True)
    # Then only the first sentence was spoken; the one in flight was not sent, the third never synthesized
    assert started.inference.spoken == SENTENCES[:2]
    assert {m["textSeq"] for m in started.push.audio} == {0}
    assert seconds_of(started.push.audio) == pytest.approx(len(SENTENCES[0]) * SAMPLES_PER_CHAR / RATE)
    assert cleared == [
        {"ack": 0, "type": "cleared", "clearedThrough": 0, "droppedCharacters": len(SENTENCES[1]) + len(SENTENCES[2])}
    ]
    # And text after the clear is spoken, with the pause after what was spoken before
    send(started, action="text", seq=1, text="New words.", flush=True)
    assert started.inference.spoken[-1] == "New words."
    (end,) = send(started, action="stop")
    assert end["characters"] == len(SENTENCES[0]) + len("New words.")
    assert end["droppedCharacters"] == len(SENTENCES[1]) + len(SENTENCES[2])
    entry = started.request_log.entries[f"stream-{started.tts_store.rows[CONNECTION].session_id}"]
    assert (entry.task, entry.characters) == ("tts", end["characters"])
    assert entry.audio_seconds == pytest.approx(end["audioSeconds"]) == pytest.approx(seconds_of(started.push.audio))


def test_a_clear_that_overtakes_its_text_still_drops_it(started: FakeDeps):
    # Given `clear {seq: 1}` applied before text 1 arrives (concurrent invocations), and text 2 after it
    send(started, action="text", seq=0, text="Kept.", flush=True)
    send(started, action="clear", seq=1)
    send(started, action="text", seq=1, text="Dropped one.", flush=True)
    send(started, action="text", seq=2, text="Kept too.", flush=True)
    assert started.inference.spoken == ["Kept.", "Kept too."]


def test_texts_apply_in_seq_order_duplicates_ignored_a_long_gap_refused(started: FakeDeps):
    send(started, action="text", seq=1, text="Second.", flush=True)
    assert started.inference.spoken == []  # held ahead of the gap
    send(started, action="text", seq=0, text="First. ")
    send(started, action="text", seq=0, text="First. ")
    assert started.inference.spoken == ["First.", "Second."]
    assert started.tts_store.state().ack == 1
    for seq in range(3, 3 + MAX_TTS_PENDING_TEXTS):
        assert send(started, action="text", seq=seq, text="x") == []
    (error,) = send(started, action="text", seq=99, text="x")
    assert (error["code"], error["seq"], error["details"]["missingSeq"]) == ("stream.gap", 99, 2)


def test_only_one_invocation_synthesizes_and_a_dead_ones_sentence_is_taken_over(started: FakeDeps, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(tts_session, "clock", lambda: now[0])
    # Given another invocation holds the lease (it is synthesizing "Held." and died before it answered)
    row = started.tts_store.rows[CONNECTION]
    state = TtsState.model_validate(row.tts_state)
    state.apply_text(0, "Held. Queued.", flush=True)
    assert state.take_sentence("dead", now[0]) is not None
    row.tts_state = state.model_dump()
    # When more text arrives while its lease runs: it is queued, not synthesized here
    send(started, "live", action="text", seq=1, text="More.", flush=True)
    assert started.inference.spoken == []
    # Then after the lease runs out the next message takes over, the dead invocation's sentence first
    now[0] += LEASE_S + 1
    send(started, "live", action="keepalive")
    send(started, "live", action="stop")
    assert started.inference.spoken == ["Held.", "Queued.", "More."]


def test_a_model_failure_keeps_the_sentence_for_the_next_message(started: FakeDeps):
    started.inference.fail = True
    (error,) = send(started, action="text", seq=0, text="Say this.", flush=True)
    assert (error["code"], error["seq"]) == ("model.failed", 0)
    assert started.tts_store.state().queue[0].text == "Say this."
    (end,) = send(started, action="stop")
    assert started.inference.spoken == ["Say this."] and end["characters"] == len("Say this.")


def test_a_stop_that_overtakes_its_last_texts_waits_for_them_then_ends(started: FakeDeps):
    # Given `stop {lastSeq: 2}` carried out before texts 1 and 2 (concurrent invocations; 2 ends mid-sentence)
    send(started, action="text", seq=0, text="One two three. Four")
    assert send(started, action="stop", lastSeq=2) == []  # nothing ends yet: texts up to 2 are missing
    # When they arrive, out of order
    assert send(started, action="text", seq=2, text=" six seven") == []
    answers = send(started, action="text", seq=1, text=" five")
    # Then every text before the stop is spoken, its unfinished sentence too, and only then the stream ends
    assert started.inference.spoken == ["One two three.", "Four five six seven"]
    assert [a["type"] for a in answers] == ["end"]
    assert answers[0]["characters"] == len("One two three.") + len("Four five six seven")
    # And a text after the stop's lastSeq is refused, as any text after the end
    (error,) = send(started, action="text", seq=3, text="Too late.")
    assert error["code"] == "stream.not_started"


def test_a_stop_whose_texts_are_applied_ends_at_once_and_refuses_later_ones(started: FakeDeps):
    send(started, action="text", seq=0, text="Only this")
    (end,) = send(started, action="stop", lastSeq=0)
    assert started.inference.spoken == ["Only this"] and end["type"] == "end"
    # a stop without lastSeq ends after what was applied: a text sent after it is not part of the stream
    other = FakeDeps()
    other.tts_store.open(CONNECTION)
    send(other, action="start", task="tts", language="en")
    send(other, action="text", seq=0, text="Kept.", flush=True)
    (end,) = send(other, action="stop")
    (error,) = send(other, action="text", seq=1, text="Not kept.")
    assert (end["type"], error["code"], other.inference.spoken) == ("end", "stream.not_started", ["Kept."])


def test_usage_is_recorded_once_at_stop_or_at_disconnect(deps: FakeDeps):
    send(deps, action="start", task="tts", language="en")
    send(deps, action="text", seq=0, text="Hello there.", flush=True)
    (end,) = send(deps, action="stop")
    assert end["billedSeconds"] == 1.0 and end["audioSeconds"] == pytest.approx(12 * SAMPLES_PER_CHAR / RATE)
    (error,) = send(deps, action="text", seq=1, text="Too late.")
    assert error["code"] == "stream.not_started"
    disconnect_tts(CONNECTION, deps)  # type: ignore[arg-type]
    assert len(deps.request_log.entries) == 1
    assert deps.tts_store.rows[CONNECTION].state is ConnectionState.CLOSED
    # a client that leaves without stop is metered for what it was sent
    deps.tts_store.open("other")
    handle_tts_message("other", CALLER, json.dumps({"action": "start", "task": "tts", "language": "en"}), deps)  # type: ignore[arg-type]
    handle_tts_message("other", CALLER, json.dumps({"action": "text", "seq": 0, "text": "Bye.", "flush": True}), deps)  # type: ignore[arg-type]
    disconnect_tts("other", deps)  # type: ignore[arg-type]
    assert sorted(e.characters for e in deps.request_log.entries.values()) == [len("Bye."), len("Hello there.")]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"action": "text", "seq": 0, "text": "x"}, "stream.not_started"),
        ({"action": "start", "task": "tts", "language": "xx"}, "language.unsupported"),
        ({"action": "start", "task": "tts", "language": "en", "gender": "robot"}, "request.invalid"),
        ({"action": "text", "seq": -1, "text": "x"}, "request.invalid"),
        ({"action": "text", "seq": 0, "text": "x" * 2_001}, "request.invalid"),
    ],
)
def test_refused_messages_get_the_rest_api_codes(deps: FakeDeps, message: dict[str, Any], code: str):
    (error,) = send(deps, **message)
    assert error["type"] == "error" and error["code"] == code


def test_not_json_is_refused_and_a_second_start_too(started: FakeDeps):
    answers = handle_tts_message(CONNECTION, CALLER, "{not json", started)  # type: ignore[arg-type]
    assert answers[0].code == "request.invalid"  # type: ignore[attr-defined]
    (error,) = send(started, action="start", task="tts", language="en")
    assert error["code"] == "request.invalid"


def test_routing_sends_tts_messages_here_and_asr_ones_on(started: FakeDeps):
    route = lambda body: is_tts_stream(CONNECTION, body, False, started)  # type: ignore[arg-type]  # noqa: E731
    assert route(json.dumps({"action": "text", "seq": 0, "text": "x"}))
    assert route(json.dumps({"action": "start", "task": "tts", "language": "en"}))
    assert route(json.dumps({"action": "stop"}))  # this connection's stream is TTS
    assert not route(json.dumps({"action": "start", "language": "en"}))
    assert not route(json.dumps({"action": "audio", "seq": 0, "audio": "AAAA"}))
    assert not route("not json")
    assert is_tts_stream(CONNECTION, None, True, started)  # type: ignore[arg-type]
    started.tts_store.open("asr-connection")
    assert not is_tts_stream("asr-connection", json.dumps({"action": "stop"}), False, started)  # type: ignore[arg-type]


def test_text_on_a_recognition_stream_is_refused(deps: FakeDeps):
    row = deps.tts_store.rows[CONNECTION]
    row.session_id, row.task, row.state = uuid.uuid4(), "asr", ConnectionState.STREAMING
    (error,) = send(deps, action="text", seq=0, text="Not here.", flush=True)
    assert error["code"] == "request.invalid" and deps.inference.spoken == []
