"""Typed inference calls to the Triton cluster: transcribe, synthesize, translate, transliterate,
normalize_texts (ITN and text normalization), identify_language, detect_speech, and streaming sessions for
`asr_streaming`.

Each method takes the `ModelSelection` the registry made for the request (model, version, limits), checks the
input against those limits (bad input is a typed 4xx error, never a model call), calls the transport with a
deadline, retries with exponential backoff while the server is unavailable, and returns a pydantic result that
names the model version which answered. Tensors follow Dhruva's contracts (triton_cluster/README.md).
Each call is a traced subsegment; responses are never recorded (they are what a tenant sent, transformed).
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from speech_core.errors import AudioError, ErrorCode, InferenceError, RequestError
from speech_core.observability import tracer

from .registry import ModelSelection, ServiceLimits
from .results import (
    LanguageGuess,
    SpeechSegment,
    StreamingUpdate,
    SynthesizedSpeech,
    Transcript,
    Translation,
    WordSegment,
)
from .transport import InferReply, SequenceFlags, TritonTransport, WireProtocol, get_transport
from .triton_errors import is_retryable

ASR_SAMPLE_RATE = 16000


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for MODEL_UNAVAILABLE only: `attempts` calls in all, sleeping backoff_s * 2**n between."""

    attempts: int = 3
    backoff_s: float = 0.2
    max_backoff_s: float = 2.0


def _bytes_column(values: Sequence[str]) -> np.ndarray:
    return np.array([v.encode("utf-8") for v in values], dtype=object).reshape(-1, 1)


def _texts(column: np.ndarray) -> list[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in column.reshape(-1)]


def _words(raw: str) -> list[WordSegment]:
    return [WordSegment.model_validate(item) for item in json.loads(raw or "[]")]


class InferenceClient:
    """The typed face of one Triton server; cheap to build over a cached transport."""

    def __init__(
        self,
        transport: TritonTransport,
        *,
        timeout_s: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self.timeout_s = timeout_s
        self.retry = retry
        self._sleep = sleep

    # --- plumbing -------------------------------------------------------------------------------------
    def _call(
        self,
        selection: ModelSelection,
        inputs: dict[str, np.ndarray],
        outputs: list[str],
        sequence: SequenceFlags | None = None,
    ) -> InferReply:
        delay = self.retry.backoff_s
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return self.transport.infer(
                    selection.model,
                    selection.version,
                    inputs,
                    outputs,
                    timeout_s=self.timeout_s,
                    sequence=sequence,
                )
            except InferenceError as error:
                # A streamed chunk is not replayed: the model may already have consumed it.
                if sequence is not None or not is_retryable(error) or attempt == self.retry.attempts:
                    raise
                self._sleep(delay)
                delay = min(delay * 2, self.retry.max_backoff_s)
        raise AssertionError("unreachable")

    def is_ready(self, selection: ModelSelection | None = None) -> bool:
        if selection is None:
            return self.transport.is_ready()
        return self.transport.is_ready(selection.model, selection.version)

    # --- input checks ---------------------------------------------------------------------------------
    @staticmethod
    def _check_audio(audio: np.ndarray, limits: ServiceLimits) -> np.ndarray:
        samples = np.asarray(audio)
        if samples.ndim != 1:
            raise AudioError(ErrorCode.AUDIO_CORRUPT, "audio must be mono (one channel of samples)")
        if samples.size == 0:
            raise AudioError(ErrorCode.AUDIO_NO_SAMPLES, "the audio has no samples")
        seconds = samples.size / ASR_SAMPLE_RATE
        if limits.max_audio_seconds is not None and seconds > limits.max_audio_seconds:
            raise AudioError(
                ErrorCode.AUDIO_TOO_LONG,
                f"audio is {seconds:.1f} s; this model takes at most {limits.max_audio_seconds:g} s",
                details={"maxSeconds": limits.max_audio_seconds},
            )
        return samples.astype(np.float32, copy=False)

    @staticmethod
    def _check_texts(texts: Sequence[str], limits: ServiceLimits) -> None:
        if not texts:
            raise RequestError(ErrorCode.TEXT_EMPTY, "no text to process")
        if limits.max_batch_items is not None and len(texts) > limits.max_batch_items:
            raise RequestError(
                ErrorCode.REQUEST_INVALID, f"{len(texts)} items; at most {limits.max_batch_items} per request"
            )
        for text in texts:
            if not text.strip():
                raise RequestError(ErrorCode.TEXT_EMPTY, "text is empty")
            if limits.max_text_chars is not None and len(text) > limits.max_text_chars:
                raise RequestError(
                    ErrorCode.TEXT_TOO_LONG,
                    f"text has {len(text)} characters; at most {limits.max_text_chars}",
                    details={"maxChars": limits.max_text_chars},
                )

    # --- tasks ----------------------------------------------------------------------------------------
    @tracer.capture_method(capture_response=False)
    def transcribe(self, selection: ModelSelection, audio: np.ndarray, language: str) -> Transcript:
        """Speech (mono float32 at 16 kHz) -> transcript with word timestamps and confidence."""
        samples = self._check_audio(audio, selection.limits)
        reply = self._call(
            selection,
            {
                "AUDIO_SIGNAL": samples.reshape(1, -1),
                "NUM_SAMPLES": np.array([[samples.size]], dtype=np.int32),
                "LANG_ID": _bytes_column([language]),
            },
            ["TRANSCRIPTS", "CONFIDENCE", "SEGMENTS"],
        )
        return Transcript(
            text=_texts(reply.outputs["TRANSCRIPTS"])[0],
            confidence=float(reply.outputs["CONFIDENCE"].reshape(-1)[0]),
            segments=_words(_texts(reply.outputs["SEGMENTS"])[0]),
            model=selection.model,
            model_version=reply.model_version,
        )

    @tracer.capture_method(capture_response=False)
    def synthesize(self, selection: ModelSelection, text: str, language: str, voice: str) -> SynthesizedSpeech:
        """Text -> speech (float32 at the model's sample rate) in the given language and voice (gender)."""
        self._check_texts([text], selection.limits)
        reply = self._call(
            selection,
            {
                "INPUT_TEXT": _bytes_column([text]),
                "INPUT_SPEAKER_ID": _bytes_column([voice]),
                "INPUT_LANGUAGE_ID": _bytes_column([language]),
            },
            ["OUTPUT_GENERATED_AUDIO", "OUTPUT_NUM_SAMPLES", "OUTPUT_SAMPLE_RATE"],
        )
        length = int(reply.outputs["OUTPUT_NUM_SAMPLES"].reshape(-1)[0])
        audio = reply.outputs["OUTPUT_GENERATED_AUDIO"].reshape(1, -1)[0, :length].astype(np.float32)
        return SynthesizedSpeech(
            audio=audio,
            sample_rate=int(reply.outputs["OUTPUT_SAMPLE_RATE"].reshape(-1)[0]),
            model_version=reply.model_version,
        )

    def _convert_texts(self, selection: ModelSelection, texts: Sequence[str], source: str, target: str) -> list[str]:
        """The text-to-text contract translation and transliteration share: INPUT_TEXT + language ids -> OUTPUT_TEXT."""
        self._check_texts(texts, selection.limits)
        reply = self._call(
            selection,
            {
                "INPUT_TEXT": _bytes_column(texts),
                "INPUT_LANGUAGE_ID": _bytes_column([source] * len(texts)),
                "OUTPUT_LANGUAGE_ID": _bytes_column([target] * len(texts)),
            },
            ["OUTPUT_TEXT"],
        )
        return _texts(reply.outputs["OUTPUT_TEXT"])

    @tracer.capture_method(capture_response=False)
    def translate(self, selection: ModelSelection, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        """A batch of sentences from `source` to `target`, in order."""
        targets = self._convert_texts(selection, texts, source, target)
        return [Translation(source=s, target=t) for s, t in zip(texts, targets, strict=True)]

    @tracer.capture_method(capture_response=False)
    def transliterate(self, selection: ModelSelection, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Texts from the script of `source` to that of `target` ("en" = Latin)."""
        return self._convert_texts(selection, texts, source, target)

    @tracer.capture_method(capture_response=False)
    def transliterate_words(
        self, selection: ModelSelection, words: Sequence[str], source: str, target: str, top_k: int
    ) -> list[list[str]]:
        """Up to `top_k` renderings of each word, best first (ULCA `isSentence: false` + `numSuggestions`):
        the optional `IS_WORD_LEVEL` and `TOP_K` inputs; `OUTPUT_TEXT` is [B, K], padded with empty strings."""
        self._check_texts(words, selection.limits)
        rows = len(words)
        reply = self._call(
            selection,
            {
                "INPUT_TEXT": _bytes_column(words),
                "INPUT_LANGUAGE_ID": _bytes_column([source] * rows),
                "OUTPUT_LANGUAGE_ID": _bytes_column([target] * rows),
                "IS_WORD_LEVEL": np.ones((rows, 1), dtype=np.bool_),
                "TOP_K": np.full((rows, 1), max(1, min(top_k, 255)), dtype=np.uint8),
            },
            ["OUTPUT_TEXT"],
        )
        column = reply.outputs["OUTPUT_TEXT"].reshape(rows, -1)
        return [[text for text in _texts(row) if text][:top_k] for row in column]

    @tracer.capture_method(capture_response=False)
    def normalize_texts(self, selection: ModelSelection, texts: Sequence[str], language: str) -> list[str]:
        """Texts rewritten by an `itn` (spoken -> written) or `text_normalization` (written -> spoken) model,
        in order: INPUT_TEXT + INPUT_LANGUAGE_ID -> OUTPUT_TEXT."""
        self._check_texts(texts, selection.limits)
        reply = self._call(
            selection,
            {"INPUT_TEXT": _bytes_column(texts), "INPUT_LANGUAGE_ID": _bytes_column([language] * len(texts))},
            ["OUTPUT_TEXT"],
        )
        return _texts(reply.outputs["OUTPUT_TEXT"])

    @tracer.capture_method(capture_response=False)
    def identify_language(self, selection: ModelSelection, texts: Sequence[str]) -> list[LanguageGuess]:
        """The language of each text."""
        self._check_texts(texts, selection.limits)
        reply = self._call(
            selection,
            {"INPUT_TEXT": _bytes_column(texts)},
            ["OUTPUT_LANGUAGE_ID", "CONFIDENCE", "IS_RELIABLE"],
        )
        return [
            LanguageGuess(language=lang, confidence=float(conf), reliable=bool(rel))
            for lang, conf, rel in zip(
                _texts(reply.outputs["OUTPUT_LANGUAGE_ID"]),
                reply.outputs["CONFIDENCE"].reshape(-1),
                reply.outputs["IS_RELIABLE"].reshape(-1),
                strict=True,
            )
        ]

    @tracer.capture_method(capture_response=False)
    def detect_speech(self, selection: ModelSelection, audio: np.ndarray) -> list[SpeechSegment]:
        """Speech segments (seconds) in mono float32 16 kHz audio."""
        samples = self._check_audio(audio, selection.limits)
        reply = self._call(
            selection,
            {
                "AUDIO_SIGNAL": samples.reshape(1, -1),
                "NUM_SAMPLES": np.array([[samples.size]], dtype=np.int32),
            },
            ["SEGMENTS"],
        )
        return [SpeechSegment.model_validate(s) for s in json.loads(_texts(reply.outputs["SEGMENTS"])[0])]

    def open_stream(self, selection: ModelSelection, language: str, sequence_id: int | None = None) -> StreamingSession:
        """A streaming recognition session on a stateful model; `sequence_id` defaults to a fresh one."""
        return StreamingSession(self, selection, language, sequence_id or next_sequence_id())


# random high bits (no clash between Lambda instances), counter low bits; < 2**56 fits every int64 field
_SEQUENCE_IDS = itertools.count(int.from_bytes(os.urandom(5)) << 16)
_SEQUENCE_LOCK = threading.Lock()


def reseed_sequence_ids() -> None:
    """Draw new random high bits: after a SnapStart restore, every copy of the snapshot shares the old ones."""
    global _SEQUENCE_IDS
    with _SEQUENCE_LOCK:
        _SEQUENCE_IDS = itertools.count(int.from_bytes(os.urandom(5)) << 16)


def next_sequence_id() -> int:
    """A process-unique, random-based 64-bit sequence id (never 0: Triton reads 0 as "no sequence")."""
    with _SEQUENCE_LOCK:
        return next(_SEQUENCE_IDS) or next(_SEQUENCE_IDS)


class StreamingSession:
    """Feed chunks in order with `send()` (the first carries START); `finish()` sends END: the final.

    The sequence id ties the chunks to one decoder in the model (the WebSocket API derives it from the
    connection). Chunks are never retried: the server may have consumed one before the answer was lost.
    """

    def __init__(self, client: InferenceClient, selection: ModelSelection, language: str, sequence_id: int):
        self.client = client
        self.selection = selection
        self.language = language
        self.sequence_id = sequence_id
        self.started = False
        self.finished = False
        self.samples_sent = 0

    def _send(self, chunk: np.ndarray, end: bool, return_audio: bool = False) -> StreamingUpdate:
        if self.finished:
            raise RequestError(ErrorCode.REQUEST_INVALID, "the stream is already finished")
        samples = np.asarray(chunk, dtype=np.float32).reshape(-1)
        limit = self.selection.limits.max_audio_seconds
        if limit is not None and (self.samples_sent + samples.size) / ASR_SAMPLE_RATE > limit:
            raise AudioError(ErrorCode.AUDIO_TOO_LONG, f"stream longer than {limit:g} s", details={"maxSeconds": limit})
        flags = SequenceFlags(self.sequence_id, start=not self.started, end=end)
        inputs = {
            "AUDIO_SIGNAL": samples.reshape(1, -1),
            "NUM_SAMPLES": np.array([[samples.size]], dtype=np.int32),
            "LANG_ID": _bytes_column([self.language]),
        }
        outputs = ["TRANSCRIPTS", "IS_FINAL", "CONFIDENCE", "SEGMENTS"]
        if return_audio:
            inputs["RETURN_AUDIO"] = np.ones((1, 1), dtype=np.bool_)
            outputs.append("UTTERANCE_AUDIO")
        reply = self.client._call(self.selection, inputs, outputs, sequence=flags)
        self.started = True
        self.samples_sent += samples.size
        self.finished = end
        return StreamingUpdate(
            text=_texts(reply.outputs["TRANSCRIPTS"])[0],
            is_final=bool(reply.outputs["IS_FINAL"].reshape(-1)[0]),
            confidence=float(reply.outputs["CONFIDENCE"].reshape(-1)[0]),
            segments=_words(_texts(reply.outputs["SEGMENTS"])[0]),
            model_version=reply.model_version,
            audio=reply.outputs["UTTERANCE_AUDIO"].reshape(-1).astype(np.float32) if return_audio else None,
        )

    def send(self, chunk: np.ndarray) -> StreamingUpdate:
        """One chunk of mono float32 16 kHz audio -> the partial hypothesis so far."""
        return self._send(chunk, end=False)

    def finish(self, last_chunk: np.ndarray | None = None) -> StreamingUpdate:
        """End the utterance (optionally with a last chunk) -> the final transcript."""
        return self._send(np.zeros(0, dtype=np.float32) if last_chunk is None else last_chunk, end=True)

    def end_utterance(self) -> StreamingUpdate:
        """End the utterance without the model's final pass: the sequence closes at once and the update carries
        the utterance's audio (`audio`), to transcribe with the batch `asr` model off the live path."""
        return self._send(np.zeros(0, dtype=np.float32), end=True, return_audio=True)


def get_inference_client(url: str, protocol: WireProtocol = "grpc", *, timeout_s: float = 30.0) -> InferenceClient:
    """A client over the process-wide cached transport for this URL (connection reused across invocations)."""
    return InferenceClient(get_transport(url, protocol, timeout_s), timeout_s=timeout_s)
