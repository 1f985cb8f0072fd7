"""In-memory stand-ins for the batch path's ports and repositories (same shapes as the real ones)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

import numpy as np

from speech_core.batch.deps import StaticBatchDeps
from speech_core.batch.ports import ObjectHead
from speech_core.contracts.jobs import JobExecutionInput
from speech_core.db.records import (
    ChunkState,
    ChunkWord,
    JobChunkRecord,
    JobRecord,
    JobState,
    NewJob,
    NewJobChunk,
    TenantRecord,
)
from speech_core.errors import ErrorCode, RequestError
from speech_core.inference.results import SpeechSegment, Transcript, WordSegment
from speech_core.settings import StorageSettings

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class FakeObjects:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], tuple[bytes, dict[str, str]]] = {}
        self.opened = 0

    def add(self, bucket: str, key: str, body: bytes, metadata: dict[str, str] | None = None) -> None:
        self.objects[(bucket, key)] = (body, metadata or {})

    def head(self, bucket: str, key: str) -> ObjectHead | None:
        found = self.objects.get((bucket, key))
        if found is None:
            return None
        return ObjectHead(size=len(found[0]), etag=f"etag-{len(found[0])}", metadata=found[1])

    def open(self, bucket: str, key: str, size: int) -> BinaryIO:
        self.opened += 1
        return io.BytesIO(self.objects[(bucket, key)][0])

    def get(self, bucket: str, key: str, max_bytes: int) -> bytes | None:
        found = self.objects.get((bucket, key))
        return None if found is None or len(found[0]) > max_bytes else found[0]

    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self.objects[(bucket, key)] = (body, {"content-type": content_type})


class FakeJobs:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, JobRecord] = {}

    def create(self, job: NewJob) -> tuple[JobRecord, bool]:
        for row in self.rows.values():
            if row.tenant_id == job.tenant_id and row.idempotency_key == job.idempotency_key:
                return row, False
        record = JobRecord(
            **job.model_dump(),
            id=uuid.uuid4(),
            state=JobState.QUEUED,
            progress=0.0,
            outputs={},
            error_code=None,
            error_message=None,
            execution_arn=None,
            audio_seconds_total=None,
            audio_seconds_done=0.0,
            chunks_total=None,
            chunks_done=0,
            billed_audio_seconds=None,
            attempt=1,
            created_at=NOW,
            updated_at=NOW,
            started_at=None,
            finished_at=None,
        )
        self.rows[record.id] = record
        return record, True

    def get(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> JobRecord | None:
        row = self.rows.get(job_id)
        return row if row is not None and row.tenant_id == tenant_id else None

    def transition(self, job_id: uuid.UUID, state: JobState, **changes: Any) -> JobRecord:
        row = self.rows[job_id]
        if row.state.is_final:
            raise RequestError(ErrorCode.JOB_ALREADY_FINISHED, f"job {job_id} is {row.state.value}")
        updated = row.model_copy(update={"state": state, **changes})
        self.rows[job_id] = updated
        return updated

    def set(self, job_id: uuid.UUID, **changes: Any) -> JobRecord:
        self.rows[job_id] = self.rows[job_id].model_copy(update=changes)
        return self.rows[job_id]


class FakeChunks:
    def __init__(self, jobs: FakeJobs) -> None:
        self.jobs = jobs
        self.rows: dict[tuple[uuid.UUID, int], JobChunkRecord] = {}
        self.put_calls = 0

    def put_chunks(self, job_id: uuid.UUID, chunks: Sequence[NewJobChunk]) -> list[JobChunkRecord]:
        self.put_calls += 1
        for chunk in chunks:
            self.rows.setdefault(
                (job_id, chunk.index),
                JobChunkRecord(
                    **chunk.model_dump(),
                    job_id=job_id,
                    state=ChunkState.PENDING,
                    transcript=None,
                    words=None,
                    model_version=None,
                    attempts=0,
                    error_code=None,
                    error_message=None,
                    updated_at=NOW,
                ),
            )
        rows = self.list_chunks(job_id)
        self.jobs.set(job_id, chunks_total=len(rows))
        return rows

    def list_chunks(self, job_id: uuid.UUID, state: ChunkState | None = None) -> list[JobChunkRecord]:
        return sorted(
            (r for (j, _), r in self.rows.items() if j == job_id and (state is None or r.state is state)),
            key=lambda r: r.index,
        )

    def get_chunk(self, job_id: uuid.UUID, index: int) -> JobChunkRecord | None:
        return self.rows.get((job_id, index))

    def mark_chunk_done(
        self,
        job_id: uuid.UUID,
        index: int,
        transcript: str,
        words: Sequence[ChunkWord] | None,
        model_version: str | None,
        *,
        require_running: bool = True,
    ) -> bool:
        row = self.rows.get((job_id, index))
        job = self.jobs.rows[job_id]
        if row is None or row.state is ChunkState.DONE or (require_running and job.state is not JobState.RUNNING):
            return False
        self.rows[(job_id, index)] = row.model_copy(
            update={
                "state": ChunkState.DONE,
                "transcript": transcript,
                "words": list(words) if words is not None else None,
                "model_version": model_version,
                "attempts": row.attempts + 1,
            }
        )
        self.jobs.set(job_id, chunks_done=job.chunks_done + 1)
        return True

    def mark_chunk_failed(self, job_id: uuid.UUID, index: int, error_code: str, error_message: str) -> bool:
        row = self.rows[(job_id, index)]
        self.rows[(job_id, index)] = row.model_copy(
            update={"state": ChunkState.FAILED, "error_code": error_code, "error_message": error_message}
        )
        return True


class FakeTenants:
    def __init__(self, *names: str) -> None:
        self.by_name = {
            n: TenantRecord(id=uuid.uuid4(), name=n, display_name=n, active=True, created_at=NOW) for n in names
        }

    def get_by_name(self, name: str) -> TenantRecord | None:
        return self.by_name.get(name)


@dataclass
class FakeRequestLog:
    entries: dict[str, Any] = field(default_factory=dict)
    results: list[Any] = field(default_factory=list)

    def record(self, entry: Any, results: Sequence[Any] = ()) -> bool:
        if entry.request_id in self.entries:
            return False
        self.entries[entry.request_id] = entry
        self.results += list(results)
        return True


@dataclass
class FakeTasks:
    answers: list[tuple[str, str, Any]] = field(default_factory=list)
    beats: int = 0
    gone: bool = False

    def succeed(self, token: str, output: dict[str, Any]) -> None:
        self.answers.append(("success", token, output))

    def fail(self, token: str, error: str, cause: str) -> None:
        self.answers.append(("failure", token, (error, cause)))

    def heartbeat(self, token: str) -> None:
        if self.gone:
            raise _AwsError("TaskTimedOut")
        self.beats += 1


class _AwsError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


@dataclass
class FakeDelays:
    delays: list[tuple[str, int]] = field(default_factory=list)

    def delay(self, event_source_arn: str, receipt_handle: str, seconds: int) -> None:
        self.delays.append((receipt_handle, seconds))


@dataclass
class FakeQueue:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, message: JobExecutionInput) -> None:
        self.sent.append(message.to_wire())


@dataclass
class FakeLimits:
    max_batch_items: int | None = None


@dataclass
class FakeSelection:
    model: str
    version: str = "1"
    limits: FakeLimits = field(default_factory=FakeLimits)


class FakeRegistry:
    """en for every task; `itn_batch` is the itn service's max_batch_items."""

    def __init__(self, itn_batch: int | None = None) -> None:
        self.itn_batch = itn_batch

    def supported_languages(self, task: Any) -> list[str]:
        return ["en"]

    def select(self, task: Any, **kwargs: Any) -> FakeSelection:
        if kwargs.get("language") not in (None, "en"):
            from speech_core.errors import LanguageError

            raise LanguageError(ErrorCode.LANGUAGE_UNSUPPORTED, f"no model for {kwargs['language']}")
        return FakeSelection(model=str(task), limits=FakeLimits(self.itn_batch))


class EnergyVad:
    """Speech where 32 ms windows carry energy: the recordings' silences are digital zeros."""

    def __init__(self) -> None:
        self.calls = 0
        self.max_samples_seen = 0

    def spans(self, samples: np.ndarray) -> list[tuple[int, int]]:
        self.calls += 1
        self.max_samples_seen = max(self.max_samples_seen, samples.size)
        window = 512
        count = samples.size // window
        loud = (samples[: count * window].reshape(count, window) ** 2).mean(axis=1) > 1e-7
        spans: list[tuple[int, int]] = []
        start: int | None = None
        for i, is_loud in enumerate(loud):
            if is_loud and start is None:
                start = i * window
            elif not is_loud and start is not None:
                spans.append((start, i * window))
                start = None
        if start is not None:
            spans.append((start, samples.size))
        return spans


class FakeInference:
    """VAD by energy; ASR answers one word per chunk at 0.1 s, or raises what a test queued."""

    def __init__(self) -> None:
        self.vad = EnergyVad()
        self.raise_next: list[Exception] = []
        self.transcribed = 0
        #: each normalize_texts request's texts; an itn that writes "hello" as "Hello!"
        self.normalized: list[list[str]] = []
        self.normalize_raise_next: list[Exception] = []

    def detect_speech(self, selection: Any, audio: np.ndarray) -> list[SpeechSegment]:
        return [SpeechSegment(start=s / 16000, end=e / 16000) for s, e in self.vad.spans(audio)]

    def transcribe(self, selection: Any, audio: np.ndarray, language: str) -> Transcript:
        if self.raise_next:
            raise self.raise_next.pop(0)
        self.transcribed += 1
        return Transcript(
            text="hello",
            confidence=0.9,
            segments=[WordSegment(word="hello", start=0.1, end=0.4, confidence=1.0001)],  # pocketsphinx does that
            model="asr",
            model_version="1",
        )

    def normalize_texts(self, selection: Any, texts: Sequence[str], language: str) -> list[str]:
        if self.normalize_raise_next:
            raise self.normalize_raise_next.pop(0)
        self.normalized.append(list(texts))
        return [text.replace("hello", "Hello!") for text in texts]


def batch_deps(**overrides: Any) -> StaticBatchDeps:
    jobs = FakeJobs()
    deps = StaticBatchDeps(
        jobs=jobs,
        chunks=FakeChunks(jobs),
        tenants=FakeTenants("acme"),
        request_log=FakeRequestLog(),
        objects=FakeObjects(),
        tasks=FakeTasks(),
        delays=FakeDelays(),
        start_queue=FakeQueue(),
        registry=FakeRegistry(),
        inference=FakeInference(),
        storage=StorageSettings(ingest_bucket="ingest", audio_bucket="audio", results_bucket="results"),
    )
    for name, value in overrides.items():
        setattr(deps, name, value)
    return deps
