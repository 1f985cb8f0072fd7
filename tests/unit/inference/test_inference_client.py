"""The typed client over a fake transport: tensors sent, results parsed, limits, retries, error mapping."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tritonclient.utils import InferenceServerException

from speech_core.errors import AudioError, ErrorCode, InferenceError, RequestError
from speech_core.inference import (
    InferenceClient,
    InferReply,
    ModelSelection,
    RetryPolicy,
    SequenceFlags,
    Task,
    get_transport,
    map_triton_error,
    next_sequence_id,
)


class FakeTransport:
    """Records calls; answers from a queue of replies or exceptions."""

    def __init__(self, *answers: InferReply | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[dict] = []

    def infer(self, model, version, inputs, outputs, *, timeout_s, sequence=None):
        self.calls.append(
            {
                "model": model,
                "version": version,
                "inputs": inputs,
                "outputs": outputs,
                "timeout_s": timeout_s,
                "sequence": sequence,
            }
        )
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def is_ready(self, model=None, version=""):
        return True


def selection(task: Task = Task.ASR, **limits) -> ModelSelection:
    return ModelSelection(service_id="s", task=task, model=task.value, version="2", limits=limits)


def col(*values: str) -> np.ndarray:
    return np.array([v.encode() for v in values], dtype=object).reshape(-1, 1)


ASR_REPLY = InferReply(
    {
        "TRANSCRIPTS": col("go forward"),
        "CONFIDENCE": np.array([[0.9]], dtype=np.float32),
        "SEGMENTS": col(
            json.dumps(
                [
                    {"word": "go", "start": 0.1, "end": 0.3, "confidence": 0.99},
                    {"word": "forward", "start": 0.3, "end": 0.9, "confidence": 0.8},
                ]
            )
        ),
    },
    "2",
)

UNAVAILABLE = InferenceError(ErrorCode.MODEL_UNAVAILABLE, "down")


def client(transport: FakeTransport, attempts: int = 3) -> tuple[InferenceClient, list[float]]:
    sleeps: list[float] = []
    return InferenceClient(transport, timeout_s=5, retry=RetryPolicy(attempts, 0.1, 0.3), sleep=sleeps.append), sleeps


def test_transcribe_sends_dhruva_tensors_and_parses_the_reply() -> None:
    transport = FakeTransport(ASR_REPLY)
    audio = np.linspace(-0.5, 0.5, 16000, dtype=np.float64)
    result = client(transport)[0].transcribe(selection(), audio, "en")
    call = transport.calls[0]
    assert (call["model"], call["version"], call["timeout_s"]) == ("asr", "2", 5)
    assert call["inputs"]["AUDIO_SIGNAL"].shape == (1, 16000) and call["inputs"]["AUDIO_SIGNAL"].dtype == np.float32
    assert call["inputs"]["NUM_SAMPLES"].tolist() == [[16000]] and call["inputs"]["NUM_SAMPLES"].dtype == np.int32
    assert call["inputs"]["LANG_ID"].tolist() == [[b"en"]]
    assert result.text == "go forward" and result.model_version == "2"
    assert [s.word for s in result.segments] == ["go", "forward"] and result.confidence == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("audio", "code"),
    [
        (np.zeros(0, dtype=np.float32), ErrorCode.AUDIO_NO_SAMPLES),
        (np.zeros((2, 100), dtype=np.float32), ErrorCode.AUDIO_CORRUPT),
        (np.zeros(16000 * 11, dtype=np.float32), ErrorCode.AUDIO_TOO_LONG),
    ],
)
def test_bad_audio_is_a_typed_client_error_without_a_call(audio: np.ndarray, code: ErrorCode) -> None:
    transport = FakeTransport()
    with pytest.raises(AudioError) as caught:
        client(transport)[0].transcribe(selection(max_audio_seconds=10), audio, "en")
    assert caught.value.code == code and caught.value.is_client_error
    assert transport.calls == []


@pytest.mark.parametrize(
    ("texts", "code"),
    [
        ([], ErrorCode.TEXT_EMPTY),
        (["  "], ErrorCode.TEXT_EMPTY),
        (["x" * 11], ErrorCode.TEXT_TOO_LONG),
        (["a", "b", "c"], ErrorCode.REQUEST_INVALID),
    ],
)
def test_bad_text_is_a_typed_client_error(texts: list[str], code: ErrorCode) -> None:
    with pytest.raises(RequestError) as caught:
        client(FakeTransport())[0].translate(
            selection(Task.TRANSLATION, max_text_chars=10, max_batch_items=2), texts, "en", "es"
        )
    assert caught.value.code == code


def test_translate_keeps_order_and_pairs_sources() -> None:
    transport = FakeTransport(InferReply({"OUTPUT_TEXT": col("uno", "dos")}, "1"))
    out = client(transport)[0].translate(selection(Task.TRANSLATION), ["one", "two"], "en", "es")
    assert [(t.source, t.target) for t in out] == [("one", "uno"), ("two", "dos")]
    assert transport.calls[0]["inputs"]["OUTPUT_LANGUAGE_ID"].tolist() == [[b"es"], [b"es"]]


def test_synthesize_trims_padding_to_num_samples() -> None:
    audio = np.zeros((1, 100), dtype=np.float32)
    audio[0, :60] = 0.5
    transport = FakeTransport(
        InferReply(
            {
                "OUTPUT_GENERATED_AUDIO": audio,
                "OUTPUT_NUM_SAMPLES": np.array([[60]], dtype=np.int32),
                "OUTPUT_SAMPLE_RATE": np.array([[22050]], dtype=np.int32),
            },
            "2",
        )
    )
    speech = client(transport)[0].synthesize(selection(Task.TTS), "hello", "en", "female")
    assert speech.audio.size == 60 and speech.sample_rate == 22050 and speech.model_version == "2"
    assert transport.calls[0]["inputs"]["INPUT_SPEAKER_ID"].tolist() == [[b"female"]]


def test_retries_unavailable_with_exponential_backoff_then_succeeds() -> None:
    transport = FakeTransport(UNAVAILABLE, UNAVAILABLE, ASR_REPLY)
    c, sleeps = client(transport, attempts=3)
    assert c.transcribe(selection(), np.ones(100, dtype=np.float32), "en").text == "go forward"
    assert sleeps == [0.1, 0.2] and len(transport.calls) == 3


def test_gives_up_after_the_last_attempt_with_capped_backoff() -> None:
    transport = FakeTransport(*[UNAVAILABLE] * 4)
    c, sleeps = client(transport, attempts=4)
    with pytest.raises(InferenceError) as caught:
        c.transcribe(selection(), np.ones(100, dtype=np.float32), "en")
    assert caught.value.code == ErrorCode.MODEL_UNAVAILABLE and caught.value.http_status == 503
    assert sleeps == [0.1, 0.2, 0.3]


@pytest.mark.parametrize("code", [ErrorCode.MODEL_TIMEOUT, ErrorCode.MODEL_FAILED])
def test_timeouts_and_model_errors_are_not_retried(code: ErrorCode) -> None:
    transport = FakeTransport(InferenceError(code, "x"), ASR_REPLY)
    with pytest.raises(InferenceError):
        client(transport)[0].transcribe(selection(), np.ones(100, dtype=np.float32), "en")
    assert len(transport.calls) == 1


def _stream_reply(text: str, final: bool) -> InferReply:
    return InferReply(
        {
            "TRANSCRIPTS": col(text),
            "IS_FINAL": np.array([[final]]),
            "CONFIDENCE": np.array([[0.5]], dtype=np.float32),
            "SEGMENTS": col("[]"),
        },
        "1",
    )


def test_streaming_session_sets_start_and_end_flags_and_never_retries() -> None:
    transport = FakeTransport(_stream_reply("go", False), UNAVAILABLE)
    session = client(transport)[0].open_stream(selection(Task.ASR_STREAMING), "en", sequence_id=42)
    assert session.send(np.ones(4000, dtype=np.float32)).text == "go"
    with pytest.raises(InferenceError):
        session.finish()
    assert [c["sequence"] for c in transport.calls] == [
        SequenceFlags(42, start=True, end=False),
        SequenceFlags(42, start=False, end=True),
    ]


def test_streaming_session_refuses_chunks_after_finish_and_over_the_limit() -> None:
    transport = FakeTransport(_stream_reply("done", True))
    session = client(transport)[0].open_stream(selection(Task.ASR_STREAMING, max_audio_seconds=1), "en")
    with pytest.raises(AudioError):
        session.send(np.ones(16001, dtype=np.float32))
    assert session.finish().is_final
    with pytest.raises(RequestError):
        session.send(np.ones(10, dtype=np.float32))


def test_sequence_ids_are_unique_nonzero_and_fit_int64() -> None:
    ids = {next_sequence_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(0 < i < 2**63 for i in ids)


@pytest.mark.parametrize(
    ("status", "message", "code"),
    [
        ("StatusCode.UNAVAILABLE", "failed to connect to all addresses", ErrorCode.MODEL_UNAVAILABLE),
        ("StatusCode.DEADLINE_EXCEEDED", "Deadline Exceeded", ErrorCode.MODEL_TIMEOUT),
        ("StatusCode.INVALID_ARGUMENT", "Request for unknown model: 'x' is not found", ErrorCode.MODEL_UNAVAILABLE),
        ("StatusCode.INTERNAL", "unsupported language pair 'en-hi'", ErrorCode.MODEL_FAILED),
        ("400", "unexpected shape for input 'AUDIO_SIGNAL'", ErrorCode.MODEL_FAILED),
        (None, "[StatusCode.UNAVAILABLE] Socket closed", ErrorCode.MODEL_UNAVAILABLE),
    ],
)
def test_triton_errors_map_to_core_codes(status: str | None, message: str, code: ErrorCode) -> None:
    error = map_triton_error(InferenceServerException(message, status=status), model="asr", version="1")
    assert error.code == code
    assert error.details["model"] == "asr"


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ConnectionRefusedError(111, "refused"), ErrorCode.MODEL_UNAVAILABLE),
        (TimeoutError("timed out"), ErrorCode.MODEL_TIMEOUT),
        (ValueError("odd"), ErrorCode.MODEL_FAILED),
    ],
)
def test_connection_errors_map_to_core_codes(exc: Exception, code: ErrorCode) -> None:
    assert map_triton_error(exc, model="translation", version="").code == code


def test_one_transport_per_url_and_protocol() -> None:
    a = get_transport("127.0.0.1:1", "grpc")
    assert get_transport("127.0.0.1:1", "grpc") is a
    assert get_transport("127.0.0.1:1", "http") is not a
    with pytest.raises(ValueError):
        get_transport("127.0.0.1:1", "smtp")  # type: ignore[arg-type]
