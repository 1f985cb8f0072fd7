"""A job's `postProcessors` in the assemble step (batch/post_processing.py): ITN on every segment before the
outputs are rendered, in requests within the service's batch limit; a transient model error is retried by
redelivery, then recorded as the job's failure; unserved post-processors leave the text as heard."""

from __future__ import annotations

import json
from typing import Any

import pytest

from speech_core.batch.assemble import assemble_transcript
from speech_core.batch.transcribe import transcribe_chunk
from speech_core.contracts.jobs import JobConfig, JobOptions
from speech_core.contracts.task_configs import LanguageSpec, PostProcessor
from speech_core.db.records import JobRecord
from speech_core.errors import ErrorCode, InferenceError
from speech_core.transcripts import TranscriptFormat
from tests.unit.batch.fakes import FakeRegistry, batch_deps
from tests.unit.batch.test_batch_steps import chunk_task, prepared_job, ref_of, run_step, task


def _assemble(deps: Any, job: JobRecord, prepared: dict[str, Any], receive_count: int = 1) -> None:
    body = task("assemble", {"job": ref_of(job), "prepared": prepared})
    run_step(deps, lambda m, d, x: assemble_transcript(m, x), body, receive_count)


def _transcribed_job(deps: Any, post: list[PostProcessor], repeats: int = 2) -> tuple[JobRecord, dict[str, Any]]:
    job, prepared = prepared_job(deps, repeats=repeats)
    options = JobOptions(config=JobConfig(language=LanguageSpec(source_language="en"), post_processors=post))
    job = deps.jobs.set(job.id, options=options.to_stored())
    for chunk in prepared["chunks"]:
        run_step(deps, transcribe_chunk, chunk_task(job, chunk))
    return job, prepared


def _output(deps: Any, fmt: TranscriptFormat) -> str:
    kind, _, output = deps.tasks.answers[-1]
    assert kind == "success"
    return deps.objects.objects[("results", output["outputs"][fmt.value])][0].decode()


def test_itn_writes_every_output_in_written_form() -> None:
    deps = batch_deps()
    job, prepared = _transcribed_job(deps, [PostProcessor.ITN])
    _assemble(deps, job, prepared)
    chunks = len(prepared["chunks"])
    assert chunks > 1
    # one request for all the segments (within the default batch), each segment's text as heard
    assert deps.inference.normalized == [["hello"] * chunks]
    document = json.loads(_output(deps, TranscriptFormat.JSON))
    assert [s["text"] for s in document["segments"]] == ["Hello!"] * chunks
    assert document["text"] == " ".join(["Hello!"] * chunks)
    # a rewritten segment keeps no word times (they time the words as heard)
    assert all("words" not in s for s in document["segments"])
    assert _output(deps, TranscriptFormat.TXT) == "Hello!\n" * chunks
    assert "Hello!" in _output(deps, TranscriptFormat.SRT) and "hello" not in _output(deps, TranscriptFormat.SRT)
    assert "Hello!" in _output(deps, TranscriptFormat.VTT) and "hello" not in _output(deps, TranscriptFormat.VTT)


def test_itn_requests_stay_within_the_services_batch_limit() -> None:
    deps = batch_deps(registry=FakeRegistry(itn_batch=2))
    job, prepared = _transcribed_job(deps, [PostProcessor.ITN], repeats=3)
    _assemble(deps, job, prepared)
    chunks = len(prepared["chunks"])
    assert chunks > 2
    assert [len(r) for r in deps.inference.normalized] == [2] * (chunks // 2) + ([chunks % 2] if chunks % 2 else [])


def test_without_itn_the_model_is_not_called_and_words_stay() -> None:
    deps = batch_deps()
    job, prepared = _transcribed_job(deps, [PostProcessor.PUNCTUATION])
    _assemble(deps, job, prepared)
    assert deps.inference.normalized == []
    document = json.loads(_output(deps, TranscriptFormat.JSON))
    assert all(s["text"] == "hello" and s["words"] for s in document["segments"])


def test_a_transient_itn_error_is_retried_by_redelivery_then_recorded_as_the_failure() -> None:
    deps = batch_deps()
    job, prepared = _transcribed_job(deps, [PostProcessor.ITN])
    unavailable = InferenceError(ErrorCode.MODEL_UNAVAILABLE, "model itn: server unreachable")
    deps.inference.normalize_raise_next = [unavailable, unavailable, unavailable]
    answered = len(deps.tasks.answers)
    for receive in (1, 2):
        with pytest.raises(InferenceError):
            _assemble(deps, job, prepared, receive)
    # put back with a growing delay, the workflow not answered, no output written
    assert [seconds for _, seconds in deps.delays.delays] == [5, 10]
    assert len(deps.tasks.answers) == answered
    assert not any(bucket == "results" for bucket, _ in deps.objects.objects)
    _assemble(deps, job, prepared, 3)  # the last receive: the task fails with the model's code
    kind, _, (error, cause) = deps.tasks.answers[-1]
    assert (kind, error) == ("failure", "model.unavailable") and "itn" in cause
    assert not deps.request_log.entries  # nothing metered for the failed attempt


def test_a_retried_assemble_after_a_transient_error_succeeds() -> None:
    deps = batch_deps()
    job, prepared = _transcribed_job(deps, [PostProcessor.ITN])
    deps.inference.normalize_raise_next = [InferenceError(ErrorCode.MODEL_TIMEOUT, "model itn: timed out")]
    with pytest.raises(InferenceError):
        _assemble(deps, job, prepared, 1)
    _assemble(deps, job, prepared, 2)
    assert _output(deps, TranscriptFormat.TXT).startswith("Hello!\n")
