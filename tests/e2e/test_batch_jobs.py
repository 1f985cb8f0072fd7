"""Batch transcription end to end on the local cloud: a several-minute recording of real speech through the
S3-drop path and through POST /v1/jobs, the workflow (prepare, Map over chunks on Triton, assemble, record)
running as it runs in AWS, with LocalStack's Step Functions and SQS and the runtime playing the functions.

The recording is the pocketsphinx test clips one after another with silences at known offsets, so each clip's
first word has a known place on the timeline: it must be found within 0.5 s of it, at the end of the file too.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import srt
import webvtt

from local_cloud.cloud_lifecycle import DEV_TENANT
from local_cloud.cloudformation_deployer import aws_client
from speech_core.db.records import JobRecord, JobState
from speech_core.db.repositories import get_repositories
from speech_core.keys import Scope, get_api_key_service
from tests.e2e.conftest import LocalCloud, b64
from tests.unit.batch.long_recording import PIECE_FILES, RATE, LongRecording, build_long_recording, read_piece

EN = {"language": {"sourceLanguage": "en"}}
MAX_CHARS, LINES = 42, 2
JOB_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def recording() -> LongRecording:
    """≈ 3¼ minutes: the 8 clips four times over, each after a silence of 0.9-3.1 s."""
    return build_long_recording(repeats=4)


@pytest.fixture(scope="module")
def s3(local_cloud: LocalCloud) -> Any:
    return aws_client("s3", local_cloud.localstack_endpoint)


@pytest.fixture(scope="module")
def jobs_api(local_cloud: LocalCloud, make_key: Callable[..., str]) -> Iterator[httpx.Client]:
    with local_cloud.client(make_key([Scope.JOBS, Scope.ASR])) as client:
        yield client


@pytest.fixture(scope="module")
def first_words(api: httpx.Client) -> dict[str, tuple[list[str], float]]:
    """Each clip's recognised words and the start of the first (s from the clip's start), from the sync ASR."""
    from tests.e2e.conftest import wav_bytes

    found: dict[str, tuple[list[str], float]] = {}
    for name in PIECE_FILES:
        pcm = (read_piece(name) * 32767).astype("<i2").tobytes()
        body = {"audio": [{"audioContent": b64(wav_bytes(pcm))}], "config": EN}
        response = api.post("v1/asr", json=body)
        assert response.status_code == 200, response.text
        output = response.json()["output"][0]
        found[name] = (output["source"].split(), float(output["segments"][0]["start"]))
    return found


def dev_tenant_id(local_cloud: LocalCloud) -> uuid.UUID:
    tenant = get_repositories(local_cloud.database_url).tenants.get_by_name(DEV_TENANT)
    assert tenant is not None
    return tenant.id


def job_for_key(local_cloud: LocalCloud, key: str, timeout_s: float = 60) -> list[JobRecord]:
    """The dev tenant's jobs for an input key, once there is one."""
    repositories = get_repositories(local_cloud.database_url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        jobs = [j for j in repositories.jobs.list_for_tenant(dev_tenant_id(local_cloud), 200) if j.input_key == key]
        if jobs:
            return jobs
        time.sleep(0.5)
    raise AssertionError(f"no job for {key} within {timeout_s} s")


def wait_for(
    local_cloud: LocalCloud, job: JobRecord, states: set[JobState], timeout_s: float = JOB_TIMEOUT_S
) -> JobRecord:
    repositories = get_repositories(local_cloud.database_url)
    deadline = time.monotonic() + timeout_s
    current = job
    while time.monotonic() < deadline:
        found = repositories.jobs.get(job.tenant_id, job.id)
        assert found is not None
        current = found
        if current.state in states:
            return current
        time.sleep(1)
    raise AssertionError(f"job {job.id} still {current.state} (chunks {current.chunks_done}/{current.chunks_total})")


def drop(s3: Any, local_cloud: LocalCloud, name: str, body: bytes, **metadata: str) -> str:
    key = f"incoming/{DEV_TENANT}/{uuid.uuid4().hex[:8]}/{name}"
    s3.put_object(Bucket=local_cloud.outputs["IngestBucketName"], Key=key, Body=body, Metadata=metadata)
    return key


def result_text(s3: Any, local_cloud: LocalCloud, key: str) -> str:
    return str(s3.get_object(Bucket=local_cloud.outputs["ResultsBucketName"], Key=key)["Body"].read().decode())


def check_outputs(
    s3: Any,
    local_cloud: LocalCloud,
    job: JobRecord,
    recording: LongRecording,
    first_words: dict[str, tuple[list[str], float]],
) -> None:
    """All four outputs written; srt/vtt parse and keep the line rules; each clip's first word in place."""
    assert set(job.outputs) == {"json", "txt", "srt", "vtt"}
    prefix = f"results/{job.tenant_id}/{job.id}/transcript."
    assert all(key.startswith(prefix) for key in job.outputs.values())
    transcript = json.loads(result_text(s3, local_cloud, job.outputs["json"]))
    assert result_text(s3, local_cloud, job.outputs["txt"]).strip()
    subtitles = list(srt.parse(result_text(s3, local_cloud, job.outputs["srt"])))
    captions = webvtt.from_string(result_text(s3, local_cloud, job.outputs["vtt"]))
    assert subtitles and len(captions) == len(subtitles)
    for cue in subtitles:
        lines = cue.content.split("\n")
        assert 1 <= len(lines) <= LINES and all(len(line) <= MAX_CHARS for line in lines), cue
    for caption in captions.captions:
        assert all(len(line) <= MAX_CHARS for line in caption.lines) and len(caption.lines) <= LINES
    words = [w for segment in transcript["segments"] for w in segment.get("words") or []]
    assert words
    report, misplaced, same_first, overlaps = [], [], 0, []
    for piece in recording.pieces:
        sync_words, start_in_piece = first_words[piece.name]
        expected = piece.start_s + start_in_piece
        # the first word the job heard in this piece starts where the sync ASR of the piece alone says (no drift)
        heard = [w for w in words if piece.start_s - 0.5 <= w["start"] <= piece.end_s]
        first = heard[0] if heard else None
        report.append((piece.name[-8:], round(expected, 2), first and (first["word"], first["start"])))
        if first is None or abs(first["start"] - expected) > 0.5:
            misplaced.append(report[-1])
        same_first += bool(first and first["word"] == sync_words[0])
        # and its words are the sync ASR's words (the same model; its context differs at chunk edges)
        mine = {w["word"] for w in heard}
        overlaps.append(len(mine & set(sync_words)) / max(len(set(sync_words)), 1))
    assert not misplaced, (misplaced, report)
    assert same_first >= 0.75 * len(recording.pieces), report
    assert sum(overlaps) / len(overlaps) >= 0.7, overlaps
    # the end of the file is covered too (no drift): the last clip's first word is within 0.5 s
    assert recording.pieces[-1].start_s > recording.duration_s - 10
    assert job.billed_audio_seconds == pytest.approx(recording.samples.size / RATE, abs=0.01)
    assert job.chunks_done == job.chunks_total
    assert job.audio_seconds_done == pytest.approx(job.billed_audio_seconds, abs=0.002)


def test_a_file_dropped_under_incoming_is_transcribed(
    local_cloud: LocalCloud,
    s3: Any,
    recording: LongRecording,
    first_words: dict[str, tuple[list[str], float]],
    jobs_api: httpx.Client,
) -> None:
    # Given a several-minute recording dropped under incoming/<tenant>/ with its language in the metadata
    key = drop(s3, local_cloud, "talk.wav", recording.wav_bytes(), language="en")
    # When the S3 event has made a job and the workflow has run it
    (job,) = job_for_key(local_cloud, key)
    assert job.source.value == "s3" and job.source_language == "en"
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED})
    # Then it succeeded with every output, sample-accurate timestamps and the line rules kept
    assert done.state is JobState.SUCCEEDED, (done.error_code, done.error_message)
    check_outputs(s3, local_cloud, done, recording, first_words)
    # through the inline Map: its chunks are fewer than the local stage's distributed_map_min_chunks
    assert done.execution_arn and map_states_run(local_cloud, done.execution_arn) == {"TranscribeChunks"}
    # and the job is the tenant's, visible through the API
    response = jobs_api.get(f"v1/jobs/{done.id}")
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "succeeded"


@pytest.fixture
def fresh_tenant(local_cloud: LocalCloud) -> Iterator[tuple[Any, httpx.Client]]:
    """A tenant of its own (its usage and settings touch no other test) and a client with a jobs key of it."""
    tenant = get_repositories(local_cloud.database_url).tenants.create(f"drop-{uuid.uuid4().hex[:8]}", "e2e drop")
    created = get_api_key_service(local_cloud.database_url).create_key(tenant.id, "e2e", [Scope.JOBS])
    with local_cloud.client(created.plaintext) as client:
        yield tenant, client


def drop_for(s3: Any, local_cloud: LocalCloud, tenant_name: str, name: str, body: bytes, **metadata: str) -> str:
    key = f"incoming/{tenant_name}/{name}"
    s3.put_object(Bucket=local_cloud.outputs["IngestBucketName"], Key=key, Body=body, Metadata=metadata)
    return key


def jobs_of(local_cloud: LocalCloud, tenant_id: uuid.UUID, key: str, timeout_s: float = 60) -> list[JobRecord]:
    repositories = get_repositories(local_cloud.database_url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if jobs := [j for j in repositories.jobs.list_for_tenant(tenant_id, 50) if j.input_key == key]:
            return jobs
        time.sleep(0.5)
    raise AssertionError(f"no job for {key} within {timeout_s} s")


def test_a_dropped_file_without_a_language_takes_the_tenants_default(
    local_cloud: LocalCloud, s3: Any, fresh_tenant: tuple[Any, httpx.Client]
) -> None:
    # Given a tenant whose default language is Hindi (as `speech-admin tenant-settings --default-language hi`)
    tenant, client = fresh_tenant
    get_repositories(local_cloud.database_url).tenants.update_settings(
        tenant.id, default_language="hi", audio_url_allowed_hosts=[]
    )
    # When it drops a file with neither metadata nor a sidecar naming a language
    key = drop_for(s3, local_cloud, tenant.name, "no-language.wav", build_long_recording(repeats=1).wav_bytes())
    # Then its job is in the tenant's language, not the platform's (en)
    (job,) = jobs_of(local_cloud, tenant.id, key)
    assert job.source_language == "hi"
    assert client.get(f"v1/jobs/{job.id}").json()["language"] == "hi"
    # and the local cloud, which serves no Hindi ASR, fails it with the code saying so (and bills nothing)
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED})
    assert (done.state, done.error_code) == (JobState.FAILED, "language.unsupported")
    assert client.get("v1/usage").json()["keylessDays"] == []


def test_an_s3_drop_jobs_billed_seconds_appear_in_the_tenants_usage_once(
    local_cloud: LocalCloud, s3: Any, fresh_tenant: tuple[Any, httpx.Client]
) -> None:
    # Given a tenant's dropped file (no API key made the job), transcribed
    tenant, client = fresh_tenant
    key = drop_for(s3, local_cloud, tenant.name, "billed.wav", build_long_recording(repeats=1).wav_bytes())
    (job,) = jobs_of(local_cloud, tenant.id, key)
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED})
    assert done.state is JobState.SUCCEEDED, (done.error_code, done.error_message)
    assert done.api_key_id is None and done.billed_audio_seconds
    # When the tenant reads its usage with one of its keys (jobs scope)
    usage = client.get("v1/usage")
    assert usage.status_code == 200, usage.text
    # Then the job's billed seconds are there exactly once, as usage no key made, and not as the key's
    (day,) = usage.json()["keylessDays"]
    assert (day["task"], day["requests"], day["errors"]) == ("asr", 1, 0)
    assert day["audioSeconds"] == pytest.approx(done.billed_audio_seconds, abs=0.001)
    assert [d for d in usage.json()["days"] if d["task"] == "asr"] == []


def map_states_run(local_cloud: LocalCloud, execution_arn: str) -> set[str]:
    """The Map states the execution entered, and whether a Distributed Map's run started."""
    stepfunctions = aws_client("stepfunctions", local_cloud.localstack_endpoint)
    events: list[dict[str, Any]] = []
    pages = stepfunctions.get_paginator("get_execution_history")
    for page in pages.paginate(executionArn=execution_arn):
        events += page["events"]
    entered = {e["stateEnteredEventDetails"]["name"] for e in events if e["type"] == "MapStateEntered"}
    return entered | ({"MapRunStarted"} if any(e["type"] == "MapRunStarted" for e in events) else set())


def test_a_long_job_runs_the_distributed_map_over_the_items_file(
    local_cloud: LocalCloud,
    s3: Any,
    first_words: dict[str, tuple[list[str], float]],
) -> None:
    # Given a recording with more chunks than the local stage's distributed_map_min_chunks (16)
    recording = build_long_recording(repeats=9)
    key = drop(s3, local_cloud, "distributed.wav", recording.wav_bytes(), language="en")
    (job,) = job_for_key(local_cloud, key)
    # When the workflow has run it
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED})
    # Then it went through the Distributed Map (items read from S3), not the inline one
    assert done.state is JobState.SUCCEEDED, (done.error_code, done.error_message)
    assert done.chunks_total is not None and done.chunks_total >= 16
    assert done.execution_arn
    assert map_states_run(local_cloud, done.execution_arn) == {"TranscribeChunksDistributed", "MapRunStarted"}
    # and every chunk was transcribed once, in its place on the timeline, with all four outputs
    check_outputs(s3, local_cloud, done, recording, first_words)
    chunks = get_repositories(local_cloud.database_url).job_chunks.list_chunks(done.id)
    assert [c.index for c in chunks] == list(range(done.chunks_total))
    assert all(c.state.value == "done" and c.attempts == 1 for c in chunks)


def test_two_identical_s3_events_make_one_job(local_cloud: LocalCloud, s3: Any) -> None:
    # Given a dropped file whose notification is delivered twice (S3 delivers at least once)
    key = drop(s3, local_cloud, "twice.wav", build_long_recording(repeats=1).wav_bytes())
    (job,) = job_for_key(local_cloud, key)
    head = s3.head_object(Bucket=local_cloud.outputs["IngestBucketName"], Key=key)
    event = {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": local_cloud.outputs["IngestBucketName"]},
                    "object": {"key": key, "size": head["ContentLength"], "eTag": head["ETag"].strip('"')},
                },
            }
        ]
    }
    sqs = aws_client("sqs", local_cloud.localstack_endpoint)
    sqs.send_message(QueueUrl=local_cloud.outputs["S3EventsQueueUrl"], MessageBody=json.dumps(event))
    # When both have been consumed (and the job has run)
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED})
    # Then there is still one job for the object, and it succeeded
    assert [j.id for j in job_for_key(local_cloud, key)] == [job.id]
    assert done.state is JobState.SUCCEEDED, (done.error_code, done.error_message)


def test_a_corrupt_file_ends_failed_with_a_reason(local_cloud: LocalCloud, s3: Any) -> None:
    key = drop(s3, local_cloud, "broken.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x07" * 400)
    (job,) = job_for_key(local_cloud, key)
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED}, timeout_s=120)
    assert done.state is JobState.FAILED
    assert done.error_code == "audio.corrupt" and done.error_message


def upload(client: httpx.Client, audio: bytes) -> str:
    ticket = client.post("v1/uploads", json={"fileName": "talk.wav", "contentType": "audio/wav"})
    assert ticket.status_code == 200, ticket.text
    put = httpx.put(ticket.json()["uploadUrl"], content=audio, headers=ticket.json()["headers"], timeout=60)
    assert put.status_code == 200, put.text
    return str(ticket.json()["audioUri"])


def test_a_job_created_through_the_api_is_transcribed(
    local_cloud: LocalCloud,
    s3: Any,
    jobs_api: httpx.Client,
    recording: LongRecording,
    first_words: dict[str, tuple[list[str], float]],
) -> None:
    # Given an upload of the recording, When a job is created for it through POST /v1/jobs
    audio_uri = upload(jobs_api, recording.wav_bytes())
    response = jobs_api.post("v1/jobs", json={"audioUri": audio_uri, "config": EN})
    assert response.status_code == 202, response.text
    job_id = uuid.UUID(response.json()["jobId"])
    job = get_repositories(local_cloud.database_url).jobs.get(dev_tenant_id(local_cloud), job_id)
    assert job is not None
    # Then the workflow transcribes it like a dropped file, with progress up to the whole
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED})
    assert done.state is JobState.SUCCEEDED, (done.error_code, done.error_message)
    check_outputs(s3, local_cloud, done, recording, first_words)
    progress = jobs_api.get(f"v1/jobs/{job_id}").json()["progress"]
    assert progress["chunksDone"] == progress["chunksTotal"] == done.chunks_total


def test_cancel_stops_a_running_job(local_cloud: LocalCloud, s3: Any, jobs_api: httpx.Client) -> None:
    # Given a long job that is running (its chunks being transcribed)
    key = drop(s3, local_cloud, "cancel-me.wav", build_long_recording(repeats=8).wav_bytes())
    (job,) = job_for_key(local_cloud, key)
    running = wait_for(local_cloud, job, {JobState.RUNNING}, timeout_s=120)
    # When it is cancelled through the API
    response = jobs_api.post(f"v1/jobs/{job.id}/cancel")
    assert response.status_code in (200, 202), response.text
    # Then it is cancelled, its execution stopped, and nothing more is written for it
    repositories = get_repositories(local_cloud.database_url)
    cancelled = wait_for(local_cloud, running, {JobState.CANCELLED}, timeout_s=30)
    done_at_cancel = cancelled.chunks_done
    time.sleep(15)
    after = repositories.jobs.get(job.tenant_id, job.id)
    assert after is not None and after.state is JobState.CANCELLED
    assert after.chunks_done == done_at_cancel
    assert not after.outputs
    listed = s3.list_objects_v2(
        Bucket=local_cloud.outputs["ResultsBucketName"], Prefix=f"results/{job.tenant_id}/{job.id}/"
    )
    assert listed.get("KeyCount", 0) == 0
    if after.execution_arn:
        stepfunctions = aws_client("stepfunctions", local_cloud.localstack_endpoint)
        assert stepfunctions.describe_execution(executionArn=after.execution_arn)["status"] != "RUNNING"


@pytest.fixture(scope="session")
def restarted_tritons(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Any]]:
    """Triton servers a fault test restarted; they serve the rest of the session (every later e2e module calls
    the models on the same ports) and stop before the cloud (session scope: torn down before `local_cloud`)."""
    servers: list[Any] = []
    yield servers
    for server in servers:
        server.stop()


def test_triton_killed_and_restarted_during_a_job_loses_and_duplicates_no_chunk(
    local_cloud: LocalCloud,
    s3: Any,
    recording: LongRecording,
    first_words: dict[str, tuple[list[str], float]],
    restarted_tritons: list[Any],
    tmp_path: Any,
) -> None:
    from local_cloud.child_processes import stop_pid
    from triton_cluster.launcher import TritonServer

    assert local_cloud.triton_pid and len(local_cloud.triton_ports) == 3
    # Given a job whose chunks are being transcribed
    key = drop(s3, local_cloud, "fault.wav", recording.wav_bytes(), language="en")
    (job,) = job_for_key(local_cloud, key)
    repositories = get_repositories(local_cloud.database_url)
    deadline = time.monotonic() + 300
    while (current := repositories.jobs.get(job.tenant_id, job.id)) is not None and current.chunks_done < 1:
        assert time.monotonic() < deadline and not current.state.is_final, current.state
        time.sleep(0.5)
    # When Triton is killed, stays down a while, and comes back on the same ports
    stop_pid(local_cloud.triton_pid, timeout_s=5)
    time.sleep(8)
    http, grpc, metrics = local_cloud.triton_ports
    server = TritonServer(run_dir=tmp_path / "triton", http_port=http, grpc_port=grpc, metrics_port=metrics)
    restarted_tritons.append(server)
    server.start()
    # Then the job completes, every chunk done exactly once and in its place on the timeline
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED})
    assert done.state is JobState.SUCCEEDED, (done.error_code, done.error_message)
    check_outputs(s3, local_cloud, done, recording, first_words)
    chunks = repositories.job_chunks.list_chunks(done.id)
    assert [c.index for c in chunks] == list(range(done.chunks_total or 0))
    assert all(c.state.value == "done" for c in chunks)
    transcript = json.loads(result_text(s3, local_cloud, done.outputs["json"]))
    starts = [w["start"] for segment in transcript["segments"] for w in segment.get("words") or []]
    assert starts == sorted(starts)  # no chunk's words twice, none out of order
    metered = [
        r for r in repositories.request_log.list_for_tenant(done.tenant_id, 500) if r.request_id == f"job-{done.id}-a1"
    ]
    assert len(metered) == 1 and metered[0].audio_seconds == pytest.approx(done.billed_audio_seconds)


def test_a_job_with_itn_writes_its_outputs_in_written_form(
    local_cloud: LocalCloud, s3: Any, jobs_api: httpx.Client, goforward_wav: bytes
) -> None:
    # Given a job asking for itn (served for en) and punctuation (no model serves it)
    audio_uri = upload(jobs_api, goforward_wav)
    config = {**EN, "postProcessors": ["itn", "punctuation"]}
    response = jobs_api.post("v1/jobs", json={"audioUri": audio_uri, "config": config})
    assert response.status_code == 202, response.text
    assert response.json()["skippedPostProcessors"] == ["punctuation"]
    job = get_repositories(local_cloud.database_url).jobs.get(
        dev_tenant_id(local_cloud), uuid.UUID(response.json()["jobId"])
    )
    assert job is not None
    # When it finishes
    done = wait_for(local_cloud, job, {JobState.SUCCEEDED, JobState.FAILED}, timeout_s=300)
    assert done.state is JobState.SUCCEEDED, (done.error_code, done.error_message)
    # Then every output is in written form, as the sync API's ("ten meters" -> "10 m")
    assert result_text(s3, local_cloud, done.outputs["txt"]) == "go forward 10 m\n"
    assert json.loads(result_text(s3, local_cloud, done.outputs["json"]))["text"] == "go forward 10 m"
    cues = list(srt.parse(result_text(s3, local_cloud, done.outputs["srt"])))
    assert " ".join(c.content.replace("\n", " ") for c in cues) == "go forward 10 m"
    assert "10 m" in result_text(s3, local_cloud, done.outputs["vtt"])
    # and the transcript route answers the stored output, naming only the unserved post-processor
    transcript = jobs_api.get(f"v1/jobs/{job.id}/transcript", params={"format": "txt"})
    assert transcript.text == "go forward 10 m\n"
    assert transcript.headers["x-skipped-post-processors"] == "punctuation"
