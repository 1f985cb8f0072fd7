"""Batch jobs benchmark (issue 11): an hour of real speech through the S3-drop path at Map concurrency 1, 2, 4,
printed as ratios measured in this one run (no timed asserts). `make bench-jobs`; not part of `make test`.

Per concurrency c: wall time of the job (S3 put -> succeeded) ÷ (total model time ÷ c), target ≤ 1.25, where the
model time is what Triton itself reports spending in the models' execute (ASR chunks and the VAD of prepare,
`/v2/models/<m>/stats` before and after the job), so the ratio is the share of the wall time the platform adds
around the models. Where the rest goes comes from the execution's history in Step Functions (each state's span)
and the job row (created -> started). On this machine Triton runs on 2 CPU cores with 2 ASR instances, so no
more than 2 chunks are ever in a model at once: the ratio is also printed against min(c, ASR instances), the
concurrency the models can give here (on a GPU fleet the instance count is the scaling knob, not the cores).
Triton's dynamic batcher also merges chunks that arrive together into one execution, and the CPU ASR model
(pocketsphinx in the Python backend) runs a batch's items one after another: `asr batch` (inferences ÷
executions) shows how often that happened, and `wall÷model` is the platform's own overhead whatever the model
can parallelise (a GPU model runs the batch at once, which is where c pays).

Peak memory of each step: the high-water mark of resident memory (VmHWM) of every execution environment of
each workflow function, reset before each job (`/proc/<pid>/clear_refs`), for the 1 h job and for a 4 h job
(target: the same for both, under 512 MB: no step holds a whole decoded file).

The recording is the pocketsphinx test clips (public-domain LibriVox readings and CMU commands) one after
another with silences between, written to a WAV file a block at a time. Sizes: BENCH_JOBS_HOURS (1),
BENCH_JOBS_LONG_HOURS (4; 0 skips the long job), BENCH_JOBS_CONCURRENCY ("1,2,4"). The stack is brought up for
the run (like `make up`, in a temporary folder) and stopped after.

Which Map runs: the local stage sends a job of 16 chunks or more to the Distributed Map (so that e2e runs both);
the bench sets the deployed state machine's switch to the dev stage's `workflow.distributed_map_min_chunks`
(240) instead, so each job takes the Map it would take in AWS (1 h ≈ 150 chunks: inline; 4 h: distributed), and
the concurrency on both Maps. The tables name the Map each job ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf

from local_cloud.cloud_lifecycle import DEV_TENANT, LocalCloudState, down, up
from local_cloud.cloudformation_deployer import aws_client
from speech_core.db.records import JobRecord, JobState
from speech_core.db.repositories import get_repositories
from tests.unit.batch.long_recording import PIECE_FILES, RATE, read_piece

#: the whole run at the issue's sizes takes hours on a CPU Triton (each job is bounded below, by its audio length)
pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(0)]
HOURS = float(os.environ.get("BENCH_JOBS_HOURS", "1"))
LONG_HOURS = float(os.environ.get("BENCH_JOBS_LONG_HOURS", "4"))
CONCURRENCIES = tuple(int(c) for c in os.environ.get("BENCH_JOBS_CONCURRENCY", "1,2,4").split(","))
MAP_STATE = "TranscribeChunks"
DISTRIBUTED_MAP_STATE = "TranscribeChunksDistributed"
CHOICE_STATE = "ChooseMap"
#: each Map's chunk task
CHUNK_TASKS = {MAP_STATE: "TranscribeChunk", DISTRIBUTED_MAP_STATE: "TranscribeChunkItem"}
CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"
MODELS = ("asr", "vad")
#: the workflow's functions, by the handler module their execution environments run
STEP_HANDLERS = {
    "ingest": "handle_ingest_upload",
    "start": "handle_start_job",
    "prepare": "handle_prepare_audio",
    "transcribe-chunk": "handle_transcribe_chunk",
    "assemble": "handle_assemble_transcript",
    "record": "handle_record_job_status",
}
SILENCES_S = (1.2, 2.0, 0.9, 3.1, 1.5)
#: a guard against a job that hangs, not a target: this CPU Triton runs ~2x real time unloaded, slower on a busy
#: machine, and a job that ran out of it would cost the whole unattended run (hours), so 2 h per audio hour
JOB_TIMEOUT_S_PER_AUDIO_HOUR = 7200.0


def write_recording(path: Path, hours: float) -> float:
    """Real speech for `hours`, a clip (and the silence before it) at a time; returns the duration in s."""
    clips = [read_piece(name) for name in PIECE_FILES]
    target = int(hours * 3600 * RATE)
    written = k = 0
    with sf.SoundFile(path, "w", RATE, 1, subtype="PCM_16", format="WAV") as sound:
        while written < target:
            silence = np.zeros(int(SILENCES_S[k % len(SILENCES_S)] * RATE), dtype=np.float32)
            block = np.concatenate([silence, clips[k % len(clips)]])[: target - written]
            sound.write(block)
            written += block.size
            k += 1
    return written / RATE


@dataclass
class Stack:
    state: LocalCloudState
    endpoint: str
    triton_http: str
    database_url: str

    def client(self, service: str) -> Any:
        return aws_client(service, self.endpoint)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    state_dir = Path(tempfile.mkdtemp(prefix="speech-bench-jobs-"))
    state = up(state_dir)
    try:
        assert state.database_url
        localstack = next(p for p in state.parts if p.name == "localstack")
        triton = next(p for p in state.parts if p.name == "triton")
        yield Stack(
            state=state,
            endpoint=f"http://127.0.0.1:{localstack.ports[0]}",
            triton_http=f"http://127.0.0.1:{triton.ports[0]}",
            database_url=state.database_url,
        )
    finally:
        down(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)


# --- what is measured -------------------------------------------------------------------------------------------


def model_seconds(stack: Stack) -> dict[str, float]:
    """Seconds each model has spent in execute (input, infer, output) since Triton started, per Triton; and, as
    `<model>:inferences` / `<model>:executions`, its request and execution counts (their ratio is the mean
    batch the dynamic batcher formed)."""
    seconds: dict[str, float] = {}
    for model in MODELS:
        stats = httpx.get(f"{stack.triton_http}/v2/models/{model}/stats", timeout=10).json()
        total_ns = inferences = executions = 0
        for version in stats.get("model_stats", []):
            inference = version["inference_stats"]
            total_ns += sum(int(inference[part]["ns"]) for part in ("compute_input", "compute_infer", "compute_output"))
            inferences += int(version.get("inference_count", 0))
            executions += int(version.get("execution_count", 0))
        seconds[model] = total_ns / 1e9
        seconds[f"{model}:inferences"] = inferences
        seconds[f"{model}:executions"] = executions
    return seconds


def model_instances(stack: Stack, model: str) -> int:
    config = httpx.get(f"{stack.triton_http}/v2/models/{model}/config", timeout=10).json()
    return sum(int(group.get("count", 1)) for group in config.get("instance_group", [])) or 1


def _worker_pids() -> dict[str, list[int]]:
    """The execution environments (lambda_worker_main processes) of each workflow step, by PID."""
    found: dict[str, list[int]] = {step: [] for step in STEP_HANDLERS}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "lambda_worker_main" not in cmdline:
            continue
        for step, handler in STEP_HANDLERS.items():
            if handler in cmdline:
                found[step].append(int(entry.name))
    return found


def reset_peak_memory() -> None:
    """Start every environment's high-water mark afresh (Linux: writing 5 to clear_refs resets VmHWM)."""
    for pids in _worker_pids().values():
        for pid in pids:
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_memory_mb() -> dict[str, float]:
    """The highest VmHWM among each step's environments, in MB (0 when the step ran in none)."""
    peaks: dict[str, float] = {}
    for step, pids in _worker_pids().items():
        peak_kb = 0
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        peaks[step] = peak_kb / 1024
    return peaks


def aws_distributed_map_min_chunks() -> int:
    """The dev stage's switch between the inline and the Distributed Map (cdk.json)."""
    from infra_cdk.config import load_stage_config

    stages = json.loads(CDK_JSON.read_text())["context"]["stages"]
    return load_stage_config("dev", stages).workflow.distributed_map_min_chunks


def set_map_concurrency(stack: Stack, concurrency: int) -> None:
    """The deployed state machine with both Maps' MaxConcurrency set to `concurrency` and the switch between
    them at the AWS stages' threshold (UpdateStateMachine)."""
    sfn = stack.client("stepfunctions")
    arn = stack.state.outputs["JobStateMachineArn"]
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    for name in CHUNK_TASKS:
        definition["States"][name]["MaxConcurrency"] = concurrency
    (rule,) = definition["States"][CHOICE_STATE]["Choices"]
    below = next(condition for condition in rule["And"] if "NumericLessThan" in condition)
    below["NumericLessThan"] = aws_distributed_map_min_chunks()
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(definition))


def state_spans(stack: Stack, execution_arn: str) -> dict[str, list[float]]:
    """Each state's spans (s) in the execution's history: entered -> exited, per entry."""
    sfn = stack.client("stepfunctions")
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = sfn.get_execution_history(
            executionArn=execution_arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            break
    open_at: dict[str, list[datetime]] = {}
    spans: dict[str, list[float]] = {}
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            open_at.setdefault(name, []).append(event["timestamp"])
        elif kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            if open_at.get(name):
                started = open_at[name].pop(0)
                spans.setdefault(name, []).append((event["timestamp"] - started).total_seconds())
    return spans


@dataclass
class JobRun:
    label: str
    concurrency: int
    audio_s: float
    wall_s: float
    job: JobRecord
    model_s: dict[str, float]
    spans: dict[str, list[float]]
    peaks_mb: dict[str, float] = field(default_factory=dict)


def run_job(stack: Stack, recording: Path, audio_s: float, concurrency: int, label: str) -> JobRun:
    """One S3-drop job of `recording` at Map concurrency `concurrency`, measured from the put to succeeded."""
    set_map_concurrency(stack, concurrency)
    reset_peak_memory()
    before = model_seconds(stack)
    repositories = get_repositories(stack.database_url)
    tenant = repositories.tenants.get_by_name(DEV_TENANT)
    assert tenant is not None
    key = f"incoming/{DEV_TENANT}/bench-{uuid.uuid4().hex[:8]}/{label}.wav"
    started = time.monotonic()
    stack.client("s3").upload_file(
        str(recording), stack.state.outputs["IngestBucketName"], key, ExtraArgs={"Metadata": {"language": "en"}}
    )
    deadline = started + JOB_TIMEOUT_S_PER_AUDIO_HOUR * max(audio_s / 3600, 0.25)
    job: JobRecord | None = None
    while time.monotonic() < deadline:
        jobs = [j for j in repositories.jobs.list_for_tenant(tenant.id, 50) if j.input_key == key]
        job = jobs[0] if jobs else None
        if job is not None and job.state.is_final:
            break
        time.sleep(1)
    wall_s = time.monotonic() - started
    assert job is not None and job.state is JobState.SUCCEEDED, job and (job.state, job.error_code, job.error_message)
    after = model_seconds(stack)
    assert job.execution_arn
    return JobRun(
        label=label,
        concurrency=concurrency,
        audio_s=audio_s,
        wall_s=wall_s,
        job=job,
        model_s={name: after[name] - before[name] for name in after},
        spans=state_spans(stack, job.execution_arn),
        peaks_mb=peak_memory_mb(),
    )


# --- the report -------------------------------------------------------------------------------------------------


def _span(run: JobRun, state: str) -> float:
    return sum(run.spans.get(state, []))


def map_of(run: JobRun) -> str:
    """The Map state the job ran."""
    return next((name for name in CHUNK_TASKS if name in run.spans), MAP_STATE)


def _map_label(run: JobRun) -> str:
    return "distributed" if map_of(run) == DISTRIBUTED_MAP_STATE else "inline"


def print_throughput(runs: list[JobRun], asr_instances: int) -> None:
    hours = runs[0].audio_s / 3600
    print(f"\n{hours:.2f} h of real speech, S3-drop -> succeeded; ASR instances in Triton: {asr_instances}")
    header = (
        f"{'Map c':>6}{'map':>12}{'chunks':>8}{'wall s':>9}{'model s':>9}{'wall÷(model÷c)':>16}"
        f"{'÷ min(c,inst)':>15}{'wall÷model':>12}{'asr batch':>11}{'x real time':>13}"
    )
    print(header)
    for run in runs:
        model = sum(run.model_s[m] for m in MODELS)
        effective = min(run.concurrency, asr_instances)
        batch = run.model_s["asr:inferences"] / max(run.model_s["asr:executions"], 1)
        print(
            f"{run.concurrency:>6}{_map_label(run):>12}{run.job.chunks_total or 0:>8}{run.wall_s:>9.1f}{model:>9.1f}"
            f"{run.wall_s / (model / run.concurrency):>16.2f}{run.wall_s / (model / effective):>15.2f}"
            f"{run.wall_s / model:>12.2f}{batch:>11.2f}{run.audio_s / run.wall_s:>13.1f}"
        )
    print("\nwhere the wall time goes (s): queued = put -> execution running; each state's span from its history")
    print(
        f"{'Map c':>6}{'queued':>8}{'prepare':>9}{'(vad)':>8}{'map':>8}{'(asr)':>8}{'asr÷c':>8}"
        f"{'assemble':>10}{'record':>8}{'chunk task p50':>16}"
    )
    for run in runs:
        job = run.job
        queued = (job.started_at - job.created_at).total_seconds() if job.started_at else float("nan")
        # in AWS a Distributed Map's chunk tasks run in child executions, whose spans the job's history lacks (nan)
        chunk_tasks = sorted(run.spans.get(CHUNK_TASKS[map_of(run)], [])) or [float("nan")]
        print(
            f"{run.concurrency:>6}{queued:>8.1f}{_span(run, 'Prepare'):>9.1f}{run.model_s['vad']:>8.1f}"
            f"{_span(run, map_of(run)):>8.1f}{run.model_s['asr']:>8.1f}{run.model_s['asr'] / run.concurrency:>8.1f}"
            f"{_span(run, 'Assemble'):>10.1f}{_span(run, 'RecordSucceeded'):>8.1f}"
            f"{chunk_tasks[len(chunk_tasks) // 2]:>16.2f}"
        )


def print_memory(runs: list[JobRun]) -> None:
    print("\npeak resident memory of each step's environments (MB; target: the same for every length, < 512)")
    print(f"{'job':<14}{'audio h':>8}{'map':>12}" + "".join(f"{step:>18}" for step in STEP_HANDLERS))
    for run in runs:
        print(
            f"{run.label:<14}{run.audio_s / 3600:>8.2f}{_map_label(run):>12}"
            + "".join(f"{run.peaks_mb.get(step, 0):>18.0f}" for step in STEP_HANDLERS)
        )


def test_batch_jobs(stack: Stack, tmp_path: Path) -> None:
    hour_file = tmp_path / "hour.wav"
    audio_s = write_recording(hour_file, HOURS)
    asr_instances = model_instances(stack, "asr")
    runs = [run_job(stack, hour_file, audio_s, c, f"c{c}") for c in CONCURRENCIES]
    print_throughput(runs, asr_instances)
    memory_runs = [runs[-1]]
    if LONG_HOURS > 0:
        hour_file.unlink()
        long_file = tmp_path / "long.wav"
        long_s = write_recording(long_file, LONG_HOURS)
        memory_runs.append(run_job(stack, long_file, long_s, max(CONCURRENCIES), f"long c{max(CONCURRENCIES)}"))
    print_memory(memory_runs)
