"""The batch path's steps with fakes: S3-drop ingest, prepare, transcribe-chunk, assemble, record, and the
task worker's rules (success, failure, redelivery with backoff, cancel)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from speech_core.batch.assemble import assemble_transcript
from speech_core.batch.ingest import idempotency_key, ingest_s3_event
from speech_core.batch.messages import StepError, TaskMessage
from speech_core.batch.prepare import prepare_audio
from speech_core.batch.record import failure_of, record_job_status
from speech_core.batch.task_worker import JOB_NOT_RUNNING, Delivery, TaskWorker, backoff_s
from speech_core.batch.transcribe import transcribe_chunk
from speech_core.contracts.jobs import JobExecutionInput, JobRef
from speech_core.db.records import ChunkState, JobRecord, JobState
from speech_core.errors import AudioError, ErrorCode, InferenceError
from tests.unit.batch.fakes import FakeTasks, batch_deps
from tests.unit.batch.long_recording import RATE, build_long_recording


def s3_event(key: str, bucket: str = "ingest", etag: str = "abc", version: str | None = None) -> str:
    obj: dict[str, Any] = {"key": key.replace(" ", "+"), "size": 10, "eTag": etag}
    if version:
        obj["versionId"] = version
    return json.dumps(
        {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket}, "object": obj}}]}
    )


def delivery(body: dict[str, Any], receive_count: int = 1, max_receives: int = 3) -> Delivery:
    return Delivery(
        body=json.dumps(body),
        receipt_handle=f"rh-{receive_count}",
        event_source_arn="arn:aws:sqs:us-east-1:000000000000:speech-local-gpu-work",
        receive_count=receive_count,
        max_receives=max_receives,
    )


def task(step: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"step": step, "taskToken": "token-1", "input": payload}


# --- ingest ----------------------------------------------------------------------------------------------------
def test_two_identical_s3_events_make_one_job() -> None:
    deps = batch_deps()
    deps.objects.add("ingest", "incoming/acme/talk one.wav", b"RIFF....")
    first = ingest_s3_event(s3_event("incoming/acme/talk one.wav"), deps)
    second = ingest_s3_event(s3_event("incoming/acme/talk one.wav"), deps)
    assert len(deps.jobs.rows) == 1
    assert first[0].id == second[0].id
    job = first[0]
    assert job.input_key == "incoming/acme/talk one.wav" and job.source.value == "s3"
    assert job.idempotency_key == idempotency_key("ingest", "incoming/acme/talk one.wav", "abc")
    # the start message is the contract's shape; a job still queued is started again (harmless: one execution)
    start = JobExecutionInput.model_validate(deps.start_queue.sent[0])
    assert start.job == JobRef(job_id=job.id, tenant_id=job.tenant_id, attempt=1)


def test_a_new_version_of_the_object_is_a_new_job() -> None:
    deps = batch_deps()
    deps.objects.add("ingest", "incoming/acme/a.wav", b"RIFF")
    ingest_s3_event(s3_event("incoming/acme/a.wav", version="v1"), deps)
    ingest_s3_event(s3_event("incoming/acme/a.wav", version="v2"), deps)
    assert len(deps.jobs.rows) == 2


def test_language_metadata_wins_over_sidecar_which_wins_over_default() -> None:
    deps = batch_deps()
    deps.objects.add("ingest", "incoming/acme/m.wav", b"RIFF", {"language": "hi"})
    deps.objects.add("ingest", "incoming/acme/m.wav.json", b'{"language": "ta"}')
    deps.objects.add("ingest", "incoming/acme/s.wav", b"RIFF")
    deps.objects.add("ingest", "incoming/acme/s.wav.json", b'{"language": "ta"}')
    deps.objects.add("ingest", "incoming/acme/d.wav", b"RIFF")
    languages = {
        key: ingest_s3_event(s3_event(f"incoming/acme/{key}"), deps)[0].source_language
        for key in ("m.wav", "s.wav", "d.wav")
    }
    assert languages == {"m.wav": "hi", "s.wav": "ta", "d.wav": "en"}


def test_the_tenants_default_language_comes_after_metadata_and_sidecar_before_the_platforms() -> None:
    deps = batch_deps()
    tenant = deps.tenants.by_name["acme"]
    deps.tenants.by_name["acme"] = tenant.model_copy(update={"default_language": "hi"})
    deps.objects.add("ingest", "incoming/acme/m.wav", b"RIFF", {"language": "ta"})
    deps.objects.add("ingest", "incoming/acme/s.wav", b"RIFF")
    deps.objects.add("ingest", "incoming/acme/s.wav.json", b'{"language": "mr"}')
    deps.objects.add("ingest", "incoming/acme/t.wav", b"RIFF")
    languages = {
        key: ingest_s3_event(s3_event(f"incoming/acme/{key}"), deps)[0].source_language
        for key in ("m.wav", "s.wav", "t.wav")
    }
    assert languages == {"m.wav": "ta", "s.wav": "mr", "t.wav": "hi"}
    # a tenant whose default is cleared again gets the platform's
    deps.tenants.by_name["acme"] = tenant.model_copy(update={"default_language": None})
    deps.objects.add("ingest", "incoming/acme/p.wav", b"RIFF")
    assert ingest_s3_event(s3_event("incoming/acme/p.wav"), deps)[0].source_language == "en"


def test_test_events_sidecars_and_folder_markers_are_acknowledged_without_a_job() -> None:
    deps = batch_deps()
    deps.objects.add("ingest", "incoming/acme/s.wav.json", b"{}")
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "ingest"})
    assert ingest_s3_event(test_event, deps) == []
    assert ingest_s3_event(s3_event("incoming/acme/s.wav.json"), deps) == []
    assert ingest_s3_event(s3_event("incoming/acme/"), deps) == []
    assert not deps.jobs.rows and not deps.start_queue.sent


def test_an_unknown_tenant_fails_the_message_for_the_dlq() -> None:
    deps = batch_deps()
    deps.objects.add("ingest", "incoming/nobody/a.wav", b"RIFF")
    with pytest.raises(Exception, match="nobody"):
        ingest_s3_event(s3_event("incoming/nobody/a.wav"), deps)
    assert not deps.jobs.rows


# --- the workflow steps ----------------------------------------------------------------------------------------
def running_job(deps: Any, wav: bytes) -> JobRecord:
    deps.objects.add("ingest", "incoming/acme/long.wav", wav)
    job = ingest_s3_event(s3_event("incoming/acme/long.wav"), deps)[0]
    return deps.jobs.transition(job.id, JobState.RUNNING)


def ref_of(job: JobRecord) -> dict[str, Any]:
    return JobRef(job_id=job.id, tenant_id=job.tenant_id, attempt=job.attempt).to_wire()


def run_step(deps: Any, step: Any, body: dict[str, Any], receive_count: int = 1) -> None:
    worker = TaskWorker(deps.tasks, deps.delays, on_transient=deps.reset_inference)
    worker.handle(delivery(body, receive_count), lambda m, d: step(m, d, deps))


def test_prepare_writes_chunks_manifest_and_rows_and_is_idempotent() -> None:
    deps = batch_deps()
    recording = build_long_recording(repeats=2)
    job = running_job(deps, recording.wav_bytes())
    message = TaskMessage.model_validate(task("prepare", {"job": ref_of(job)}))
    prepared = prepare_audio(message, deps)
    chunks = prepared["chunks"]
    assert prepared["totalSamples"] == recording.samples.size and prepared["sampleRate"] == RATE
    assert sum(c["numSamples"] for c in chunks) == recording.samples.size
    assert all(c["numSamples"] <= 30 * RATE for c in chunks)
    keys = {key for (bucket, key) in deps.objects.objects if bucket == "audio"}
    assert f"chunks/{job.tenant_id}/{job.id}/manifest.json" in keys
    assert f"chunks/{job.tenant_id}/{job.id}/{len(chunks) - 1:05d}.wav" in keys
    assert deps.jobs.rows[job.id].audio_seconds_total == pytest.approx(recording.duration_s)
    # the items file the Distributed Map reads: the same items, as a JSON array
    assert prepared["chunkCount"] == len(chunks)
    assert prepared["itemsKey"] == f"chunks/{job.tenant_id}/{job.id}/items.json"
    assert json.loads(deps.objects.objects[("audio", prepared["itemsKey"])][0]) == chunks
    # a retried prepare answers from the rows without decoding again
    opened = deps.objects.opened
    assert prepare_audio(message, deps) == prepared
    assert deps.objects.opened == opened


def test_more_chunks_than_an_inline_map_takes_leave_them_to_the_items_file() -> None:
    # Given a stage whose inline Map takes at most 2 chunks in the execution's state
    deps = batch_deps()
    deps.settings = deps.settings.model_copy(update={"inline_map_max_chunks": 2})
    job = running_job(deps, build_long_recording(repeats=2).wav_bytes())
    # When prepare cuts more than that
    prepared = prepare_audio(TaskMessage.model_validate(task("prepare", {"job": ref_of(job)})), deps)
    # Then its answer leaves the chunks out (the Distributed Map reads them from S3) and counts them
    assert "chunks" not in prepared and prepared["chunkCount"] > 2
    items = json.loads(deps.objects.objects[("audio", prepared["itemsKey"])][0])
    assert [item["index"] for item in items] == list(range(prepared["chunkCount"]))
    assert sum(item["numSamples"] for item in items) == prepared["totalSamples"]


def test_a_corrupt_file_fails_prepare_with_its_code() -> None:
    deps = batch_deps()
    job = running_job(deps, b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 4)
    run_step(deps, lambda m, d, x: prepare_audio(m, x), task("prepare", {"job": ref_of(job)}))
    kind, _, (error, cause) = deps.tasks.answers[-1]
    assert (kind, error) == ("failure", ErrorCode.AUDIO_CORRUPT.value)


def test_a_cancel_stops_prepare_at_its_next_heartbeat() -> None:
    deps = batch_deps(tasks=FakeTasks(gone=True))
    deps.settings = deps.settings.model_copy(update={"heartbeat_interval_s": 0.0})
    job = running_job(deps, build_long_recording(repeats=1).wav_bytes())
    run_step(deps, lambda m, d, x: prepare_audio(m, x), task("prepare", {"job": ref_of(job)}))
    assert deps.tasks.answers[-1][2][0] == JOB_NOT_RUNNING
    assert deps.chunks.put_calls == 0


def prepared_job(deps: Any, repeats: int = 1) -> tuple[JobRecord, dict[str, Any]]:
    job = running_job(deps, build_long_recording(repeats=repeats).wav_bytes())
    prepared = prepare_audio(TaskMessage.model_validate(task("prepare", {"job": ref_of(job)})), deps)
    return deps.jobs.rows[job.id], prepared


def chunk_task(job: JobRecord, chunk: dict[str, Any]) -> dict[str, Any]:
    return task("transcribe-chunk", {"job": ref_of(job), "chunk": chunk})


def test_transcribe_chunk_is_idempotent_on_job_and_chunk() -> None:
    deps = batch_deps()
    job, prepared = prepared_job(deps)
    body = chunk_task(job, prepared["chunks"][0])
    run_step(deps, transcribe_chunk, body)
    run_step(deps, transcribe_chunk, body)  # a redelivery
    assert deps.inference.transcribed == 1
    assert [a[0] for a in deps.tasks.answers] == ["success", "success"]
    assert deps.tasks.answers[0][2] == {"index": 0}
    row = deps.chunks.get_chunk(job.id, 0)
    assert row.state is ChunkState.DONE and row.transcript == "hello" and row.words[0].start == 0.1


def test_a_transient_triton_error_is_left_for_redelivery_then_fails_naming_the_chunk() -> None:
    deps = batch_deps()
    job, prepared = prepared_job(deps)
    chunk = prepared["chunks"][1]
    body = chunk_task(job, chunk)
    unavailable = InferenceError(ErrorCode.MODEL_UNAVAILABLE, "model asr: server unreachable")
    deps.inference.raise_next = [unavailable, unavailable, unavailable]
    with pytest.raises(InferenceError):
        run_step(deps, transcribe_chunk, body, receive_count=1)
    with pytest.raises(InferenceError):
        run_step(deps, transcribe_chunk, body, receive_count=2)
    assert deps.delays.delays == [("rh-1", backoff_s(1)), ("rh-2", backoff_s(2))]
    assert not deps.tasks.answers
    # the last receive: the chunk is failed and the task too, with a cause naming the chunk and its offset
    run_step(deps, transcribe_chunk, body, receive_count=3)
    kind, _, (error, cause) = deps.tasks.answers[-1]
    assert (kind, error) == ("failure", "ChunkFailed")
    assert cause.startswith(f"chunk 1 at {chunk['startSample'] / RATE:.3f}s: model.unavailable")
    assert deps.chunks.get_chunk(job.id, 1).state is ChunkState.FAILED
    # and each transient failure dropped the model server connection (a fresh channel for the next try)
    assert deps.resets >= 3


def test_a_permanent_error_fails_the_chunk_at_once() -> None:
    deps = batch_deps()
    job, prepared = prepared_job(deps)
    deps.inference.raise_next = [AudioError(ErrorCode.AUDIO_CORRUPT, "bad chunk")]
    run_step(deps, transcribe_chunk, chunk_task(job, prepared["chunks"][0]))
    assert deps.tasks.answers[-1][2] == ("ChunkFailed", "chunk 0 at 0.000s: audio.corrupt: bad chunk")


def test_nothing_is_written_for_a_cancelled_job() -> None:
    deps = batch_deps()
    job, prepared = prepared_job(deps)
    deps.jobs.transition(job.id, JobState.CANCELLED)
    run_step(deps, transcribe_chunk, chunk_task(job, prepared["chunks"][0]))
    assert deps.tasks.answers[-1][2][0] == JOB_NOT_RUNNING
    assert deps.inference.transcribed == 0
    assert deps.chunks.get_chunk(job.id, 0).state is ChunkState.PENDING


def test_assemble_writes_every_output_and_meters_once() -> None:
    deps = batch_deps()
    job, prepared = prepared_job(deps, repeats=2)
    for chunk in prepared["chunks"]:
        run_step(deps, transcribe_chunk, chunk_task(job, chunk))
    body = task("assemble", {"job": ref_of(job), "prepared": prepared})
    run_step(deps, lambda m, d, x: assemble_transcript(m, x), body)
    run_step(deps, lambda m, d, x: assemble_transcript(m, x), body)  # a redelivery meters nothing more
    kind, _, output = deps.tasks.answers[-1]
    assert kind == "success"
    assert set(output["outputs"]) == {"json", "txt", "srt", "vtt"}
    assert output["audioSeconds"] == pytest.approx(prepared["totalSamples"] / RATE, abs=0.001)
    for key in output["outputs"].values():
        assert ("results", key) in deps.objects.objects
        assert key.startswith(f"results/{job.tenant_id}/{job.id}/transcript.")
    assert len(deps.request_log.entries) == 1
    entry = next(iter(deps.request_log.entries.values()))
    assert entry.task == "asr" and entry.audio_seconds == pytest.approx(output["audioSeconds"])
    transcript = json.loads(deps.objects.objects[("results", output["outputs"]["json"])][0])
    first_words = [s["words"][0]["start"] for s in transcript["segments"]]
    chunk_starts = [c["startSample"] / RATE + 0.1 for c in prepared["chunks"]]
    assert first_words == pytest.approx(chunk_starts, abs=0.001)


def test_assemble_refuses_a_transcript_with_missing_chunks() -> None:
    deps = batch_deps()
    job, prepared = prepared_job(deps)
    run_step(deps, lambda m, d, x: assemble_transcript(m, x), task("assemble", {"job": ref_of(job)}))
    kind, _, (error, cause) = deps.tasks.answers[-1]
    assert (kind, error) == ("failure", "ChunkFailed") and cause.startswith("chunk 0")


def test_assemble_names_a_failed_chunk_with_its_recorded_error() -> None:
    # Given a job whose chunk 1 failed (a Distributed Map tolerates the failed item and assemble runs)
    deps = batch_deps()
    job, prepared = prepared_job(deps, repeats=2)
    for chunk in prepared["chunks"]:
        if chunk["index"] != 1:
            run_step(deps, transcribe_chunk, chunk_task(job, chunk))
    deps.chunks.mark_chunk_failed(job.id, 1, "model.failed", "boom")
    # When assemble runs, Then it fails the job naming that chunk, its place and its error
    run_step(deps, lambda m, d, x: assemble_transcript(m, x), task("assemble", {"job": ref_of(job)}))
    kind, _, (error, cause) = deps.tasks.answers[-1]
    start = prepared["chunks"][1]["startSample"] / RATE
    assert (kind, error) == ("failure", "ChunkFailed")
    assert cause == f"chunk 1 at {start:.3f}s: model.failed: boom (1 missing)"


def test_record_makes_the_job_final_once_and_notifies() -> None:
    deps = batch_deps()
    job, prepared = prepared_job(deps)
    notified: list[JobRecord] = []
    error = {"Error": "ChunkFailed", "Cause": "chunk 3 at 90.000s: model.failed: boom"}
    body = task("record-failed", {"job": ref_of(job), "error": error})
    run_step(deps, lambda m, d, x: record_job_status(m, x, notified.append), body)
    row = deps.jobs.rows[job.id]
    assert (row.state, row.error_code, row.error_message) == (JobState.FAILED, "job.chunk_failed", error["Cause"])
    assert [n.state for n in notified] == [JobState.FAILED]
    # a redelivery keeps the final state and notifies nobody again
    run_step(deps, lambda m, d, x: record_job_status(m, x, notified.append), body)
    assert len(notified) == 1 and [a[0] for a in deps.tasks.answers][-2:] == ["success", "success"]


def test_failure_codes() -> None:
    assert failure_of(StepError(Error="audio.corrupt", Cause="The WAV audio is corrupt"))[0] == "audio.corrupt"
    assert failure_of(StepError(Error="States.Timeout"))[0] == "job.timed_out"
    assert failure_of(StepError(Error="States.Runtime", Cause="x"))[0] == "internal.error"
    assert failure_of(None)[0] == "internal.error"


def test_a_token_the_workflow_dropped_is_acknowledged() -> None:
    class GoneTasks(FakeTasks):
        def succeed(self, token: str, output: dict[str, Any]) -> None:
            error = Exception("gone")
            error.response = {"Error": {"Code": "TaskTimedOut"}}  # type: ignore[attr-defined]
            raise error

    deps = batch_deps(tasks=GoneTasks())
    TaskWorker(deps.tasks, deps.delays).handle(delivery(task("x", {})), lambda m, d: {"ok": True})
    assert str(uuid.uuid4())  # reached: no exception
