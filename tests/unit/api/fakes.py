"""In-memory stand-ins for the services' dependencies (unit tests only; integration uses the real ones)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from speech_core.db.records import NewResult, RequestLogEntry, UsageRecord
from speech_core.errors import ErrorCode, LimitError
from speech_core.inference import (
    LanguageGuess,
    ModelSelection,
    SpeechSegment,
    SynthesizedSpeech,
    Transcript,
    Translation,
    WordSegment,
    load_packaged_registry,
)
from speech_core.keys import KeyLimits
from speech_core.outbound.audio_link import AudioLinkFetcher, AudioLinkPolicy
from speech_core.services.dependencies import ServiceDeps, StaticServiceDeps
from speech_core.settings import StorageSettings, SyncLimits

_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


class FakeInference:
    """Answers like the real models would, deterministically: ASR 'hears' one word per second of audio."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def transcribe(self, selection: ModelSelection, audio: np.ndarray, language: str) -> Transcript:
        self.calls.append(("transcribe", audio.size))
        seconds = int(audio.size / 16_000)
        words = [WordSegment(word=f"word{i}", start=i + 0.1, end=i + 0.8, confidence=0.9) for i in range(seconds)]
        return Transcript(
            text=" ".join(w.word for w in words),
            confidence=0.9,
            segments=words,
            model=selection.model,
            model_version=selection.version,
        )

    def detect_speech(self, selection: ModelSelection, audio: np.ndarray) -> list[SpeechSegment]:
        self.calls.append(("detect_speech", audio.size))
        return [SpeechSegment(start=0.0, end=1.0), SpeechSegment(start=2.0, end=3.0)]

    def synthesize(self, selection: ModelSelection, text: str, language: str, voice: str) -> SynthesizedSpeech:
        self.calls.append(("synthesize", text))
        return SynthesizedSpeech(
            audio=np.full(22050 // 2, 0.1, dtype=np.float32), sample_rate=22050, model_version=selection.version
        )

    def translate(self, selection: ModelSelection, texts, source: str, target: str) -> list[Translation]:
        self.calls.append(("translate", list(texts)))
        return [Translation(source=t, target=f"[{target}] {t}") for t in texts]

    def transliterate(self, selection: ModelSelection, texts, source: str, target: str) -> list[str]:
        return [t.upper() for t in texts]

    def transliterate_words(self, selection: ModelSelection, words, source: str, target: str, top_k: int):
        self.calls.append(("transliterate_words", (list(words), top_k)))
        return [[f"{w.upper()}{n}" for n in range(top_k)] for w in words]

    def normalize_texts(self, selection: ModelSelection, texts, language: str) -> list[str]:
        """`itn` writes number words as digits, `text_normalization` says each digit as a word."""
        self.calls.append((selection.model, list(texts)))
        if selection.model == "itn":
            return [" ".join(str(_DIGITS.index(w)) if w in _DIGITS else w for w in t.split()) for t in texts]
        return [" ".join("".join(f" {_DIGITS[int(c)]} " if c.isdigit() else c for c in t).split()) for t in texts]

    def identify_language(self, selection: ModelSelection, texts) -> list[LanguageGuess]:
        return [LanguageGuess(language="hi", confidence=0.97, reliable=True) for _ in texts]


@dataclass
class FakeRequestLog:
    entries: list[RequestLogEntry] = field(default_factory=list)
    results: list[NewResult] = field(default_factory=list)

    def record(self, entry: RequestLogEntry, results=()) -> bool:
        self.entries.append(entry)
        self.results.extend(results)
        return True


class FakeUsage:
    def daily_for_key(self, tenant_id: uuid.UUID, key_id: uuid.UUID, since: date) -> list[UsageRecord]:
        return [
            UsageRecord(
                api_key_id=key_id,
                tenant_id=tenant_id,
                day=datetime.now(UTC).date(),
                task="asr",
                requests=3,
                errors=1,
                audio_seconds=4.5,
                characters=0,
            )
        ]

    def daily_without_key(self, tenant_id: uuid.UUID, since: date) -> list[UsageRecord]:
        """The tenant's S3-drop jobs: two of them today."""
        return [
            UsageRecord(
                api_key_id=None,
                tenant_id=tenant_id,
                day=datetime.now(UTC).date(),
                task="asr",
                requests=2,
                errors=0,
                audio_seconds=1234.5678,
                characters=0,
            )
        ]


@dataclass
class FakeRateLimiter:
    allowed: int = 1000
    counted: int = 0

    def acquire(self, key_id: uuid.UUID, limits: KeyLimits) -> None:
        if self.counted >= min(self.allowed, limits.per_minute):
            raise LimitError(ErrorCode.RATE_LIMITED, "too many", retry_after_s=17)
        self.counted += 1

    def current(self, key_id: uuid.UUID) -> dict[str, int]:
        return {"minute": self.counted, "hour": self.counted, "day": self.counted}


@dataclass
class FakeObjects:
    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self.objects[(bucket, key)] = body

    def get(self, bucket: str, key: str, max_bytes: int) -> bytes | None:
        return self.objects.get((bucket, key))

    def presigned_get_url(self, bucket: str, key: str, expires_s: int) -> str:
        return f"https://{bucket}.s3.local/{key}?X-Amz-Expires={expires_s}"

    def presigned_put_url(self, bucket: str, key: str, content_type: str, expires_s: int) -> str:
        return f"https://{bucket}.s3.local/{key}?X-Amz-Expires={expires_s}&put"


def no_network(host: str, port: int) -> list[str]:
    """Unit tests reach no network: every name fails to resolve (the https audioUri fetcher says 400)."""
    raise OSError(f"no network in unit tests ({host})")


def fake_deps(**overrides: object) -> ServiceDeps:
    values: dict[str, object] = dict(
        registry=load_packaged_registry("local"),
        inference=FakeInference(),
        request_log=FakeRequestLog(),
        usage=FakeUsage(),
        rate_limiter=FakeRateLimiter(),
        objects=FakeObjects(),
        storage=StorageSettings(ingest_bucket="ingest", audio_bucket="audio", results_bucket="results"),
        limits=SyncLimits(max_audio_seconds=60, max_audio_bytes=7_500_000, max_tts_chars=2000),
        audio_links=AudioLinkFetcher(AudioLinkPolicy(), lambda tenant_id: [], resolve=no_network),
    )
    values.update(overrides)
    return StaticServiceDeps(**values)  # type: ignore[arg-type]
