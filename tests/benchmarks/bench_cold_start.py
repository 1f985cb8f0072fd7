"""Cold-start benchmark: the import time of every deployed function's handler module, as Lambda imports it.

For each entry of `infra_cdk.function_catalog.FUNCTIONS`, a fresh interpreter (`python -X importtime`) with
`sys.path` = repository root + `layers/core/python` (Lambda's code asset and core layer) and the environment an
AWS stage's template gives the function (tracing on, Aurora through the RDS Proxy, Triton by URL; built from
the catalog's access flags like `capabilities/functions.py`, plus the variables the Lambda runtime sets) imports
the handler module with `importlib.import_module`, as the runtime's bootstrap does. Repeated REPEATS times; the
table shows the min and median of the handler module's cumulative import time (module bodies included: the
resolver, the settings validated at init), the target (300 ms per HTTP function, 150 ms per authorizer), the
median's ratio to it, PASS/OVER, and the five biggest pieces of the median run: third-party packages with
everything they import (outermost import), project packages (`speech_core.<package>`) by their own module bodies
(building pydantic models is spent there).

Then the same with the function's before-snapshot warm-up (`speech_core.api.snapshot.warm_for_snapshot`) run after
the import: what SnapStart keeps in the snapshot, i.e. what a restored function no longer pays on its first call.

It prints; it asserts nothing about time (house rule). `make bench-cold-start`, or
`python -m tests.benchmarks.bench_cold_start [--repeats N] [--trace-disabled] [--before TREE]` (`--before`: the
same handlers from another tree of the repository, e.g. `git archive <commit> | tar -x -C TREE`, measured
alternately with this one, so load from elsewhere on the machine weighs on both columns).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra_cdk.function_catalog import FUNCTIONS, Access, FunctionSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
REPEATS = 5
#: import budget per function role (issue 10): HTTP routes 300 ms, authorizers 150 ms; the deploy-time migration
#: function has none (it runs once per deployment, off any request path)
TARGET_MS = {"route": 300.0, "authorizer": 150.0}
MARK = "@@cold-start-import@@"
pytestmark = pytest.mark.benchmark

#: what the Lambda Python 3.12 runtime sets for every function (values are stand-ins)
LAMBDA_RUNTIME_ENV = {
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "AWS_LAMBDA_FUNCTION_VERSION": "1",
    "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
    "LAMBDA_TASK_ROOT": "/var/task",
    "LAMBDA_RUNTIME_DIR": "/var/runtime",
    "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
}


def stage_environment(spec: FunctionSpec, *, trace_disabled: bool = False) -> dict[str, str]:
    """What an AWS stage's template writes for this function (as `capabilities/functions.py` does)."""
    env = {
        "POWERTOOLS_SERVICE_NAME": spec.service_name,
        "POWERTOOLS_METRICS_NAMESPACE": "SpeechPlatform",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "true" if trace_disabled else "false",
        "PYDANTIC_DISABLE_PLUGINS": "__all__",
    }
    access = spec.access
    if Access.MODEL_REGISTRY in access:
        env["MODEL_REGISTRY"] = "production"
    if Access.DATABASE in access:
        env |= {
            "DATABASE_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
            "DATABASE_HOST": "speech-dev-proxy.proxy-abc.eu-west-1.rds.amazonaws.com",
            "DATABASE_NAME": "speech",
        }
    if Access.TRITON in access:
        env["TRITON_URL"] = "internal-triton-123.elb.eu-west-1.amazonaws.com:8001"
    if access & {Access.INGEST_READ, Access.INGEST_WRITE, Access.INGEST_DELETE}:
        env["INGEST_BUCKET"] = "speech-dev-ingest"
    if access & {Access.AUDIO_READ, Access.AUDIO_WRITE, Access.AUDIO_DELETE}:
        env["AUDIO_BUCKET"] = "speech-dev-audio"
    if access & {Access.RESULTS_READ, Access.RESULTS_WRITE, Access.RESULTS_DELETE}:
        env["RESULTS_BUCKET"] = "speech-dev-results"
    if Access.SEND_JOB_START in access:
        env["JOB_START_QUEUE_URL"] = "https://sqs.eu-west-1.amazonaws.com/123456789012/speech-dev-job-start"
    if Access.SEND_STREAM_TIMERS in access:
        env["STREAM_TIMERS_QUEUE_URL"] = "https://sqs.eu-west-1.amazonaws.com/123456789012/speech-dev-stream-timers"
    if access & {Access.START_WORKFLOW, Access.STOP_WORKFLOW}:
        env["JOB_STATE_MACHINE_ARN"] = "arn:aws:states:eu-west-1:123456789012:stateMachine:speech-dev-jobs"
    if spec.queue_source is not None:
        env["QUEUE_MAX_RECEIVE_COUNT"] = "3"
    if Access.PUBLISH_JOB_EVENTS in access:
        env["EVENT_BUS_NAME"] = "speech-dev-jobs"
    if Access.WEBSOCKET_MANAGE in access:
        env["WEBSOCKET_CALLBACK_URL"] = "https://abc123.execute-api.eu-west-1.amazonaws.com/dev"
    return env


def handler_module(spec: FunctionSpec) -> str:
    return spec.handler.rpartition(".")[0].replace("/", ".")


@dataclass(frozen=True)
class ImportLine:
    depth: int
    name: str
    self_us: int
    cumulative_us: int


def parse_importtime(stderr: str) -> list[ImportLine]:
    """The `-X importtime` lines printed after MARK, in print order (a module is printed after its imports)."""
    lines: list[ImportLine] = []
    started = False
    for raw in stderr.splitlines():
        if MARK in raw:
            started = True
            continue
        if not started or not raw.startswith("import time:") or "self [us]" in raw:
            continue
        self_us, cumulative_us, name = raw.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        lines.append(ImportLine(depth, name.strip(), int(self_us), int(cumulative_us)))
    return lines


def _group(name: str) -> str:
    parts = name.split(".")
    if parts[0] in {"speech_core", "functions"}:
        return ".".join(parts[:2])
    return parts[0]


def _is_project(group: str) -> bool:
    return group.startswith(("speech_core", "functions"))


def biggest_pieces(lines: list[ImportLine], count: int = 5) -> list[tuple[str, float]]:
    """Where the import time goes, in ms, biggest first, without counting anything twice: a third-party package
    (or stdlib module) imported by project code, with everything it imports (cumulative), and project packages
    (`speech_core.<package>`) by their own module bodies (self time: building pydantic models is spent there)."""
    totals: dict[str, float] = defaultdict(float)
    # print order is post-order: an import's children come before it, at depth + 1; walk it backwards to know
    # the chain of parents of each line
    stack: list[ImportLine] = []
    for line in reversed(lines):
        while stack and stack[-1].depth >= line.depth:
            stack.pop()
        group = _group(line.name)
        if _is_project(group):
            totals[group] += line.self_us / 1000
        elif all(_is_project(_group(parent.name)) for parent in stack):
            totals[group] += line.cumulative_us / 1000  # outermost third-party import: with what it imports
        stack.append(line)
    return sorted(totals.items(), key=lambda item: -item[1])[:count]


def measure_once(
    spec: FunctionSpec, *, warm: bool, trace_disabled: bool, root: Path = REPO_ROOT
) -> tuple[float, list[ImportLine]]:
    """One fresh interpreter: ms spent importing the handler (and warming it for a snapshot when `warm`) from the
    tree at `root` (this checkout, or another version of it for a before/after comparison)."""
    module = handler_module(spec)
    code = [
        "import sys, importlib",
        f"sys.path[:0] = [{str(root)!r}, {str(root / 'layers' / 'core' / 'python')!r}]",
        f"print({MARK!r}, file=sys.stderr, flush=True)",
        f"handler_module = importlib.import_module({module!r})",
    ]
    if warm:
        code.append("from speech_core.api.snapshot import warm_for_snapshot")
        code.append("warm_for_snapshot(handler_module.ENVIRONMENT)")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        **LAMBDA_RUNTIME_ENV,
        "AWS_LAMBDA_FUNCTION_NAME": f"speech-dev-{spec.id}",
        "_HANDLER": spec.handler,
        **stage_environment(spec, trace_disabled=trace_disabled),
    }
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-I", "-c", "\n".join(code)],
        env=env,
        cwd="/tmp",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{spec.id}: import failed:\n{result.stderr[-3000:]}")
    lines = parse_importtime(result.stderr)
    return sum(line.cumulative_us for line in lines if line.depth == 0) / 1000, lines


@dataclass(frozen=True)
class Row:
    function: str
    role: str
    min_ms: float
    median_ms: float
    target_ms: float | None
    pieces: list[tuple[str, float]]
    warm_median_ms: float | None
    before_median_ms: float | None = None

    @property
    def ratio(self) -> float | None:
        return None if self.target_ms is None else self.median_ms / self.target_ms

    @property
    def verdict(self) -> str:
        if self.target_ms is None:
            return "-"
        return "PASS" if self.median_ms <= self.target_ms else "OVER"


def measure(
    spec: FunctionSpec, repeats: int, *, trace_disabled: bool, warm: bool, before_root: Path | None = None
) -> Row:
    runs, before = [], []
    if before_root is not None and not (before_root / f"{spec.handler.rpartition('.')[0]}.py").exists():
        before_root = None  # a function the other tree does not have yet
    for _ in range(repeats):  # before and after alternate, so load from elsewhere on the machine weighs on both
        runs.append(measure_once(spec, warm=False, trace_disabled=trace_disabled))
        if before_root is not None:
            before.append(measure_once(spec, warm=False, trace_disabled=trace_disabled, root=before_root)[0])
    times = [ms for ms, _ in runs]
    median = statistics.median(times)
    median_run = min(runs, key=lambda run: abs(run[0] - median))
    warm_median = None
    if warm:
        warm_median = statistics.median(
            measure_once(spec, warm=True, trace_disabled=trace_disabled)[0] for _ in range(max(1, repeats // 2))
        )
    return Row(
        function=spec.id,
        role=spec.role,
        min_ms=min(times),
        median_ms=median,
        target_ms=TARGET_MS.get(spec.role),
        pieces=biggest_pieces(median_run[1]),
        warm_median_ms=warm_median,
        before_median_ms=statistics.median(before) if before else None,
    )


def format_table(rows: list[Row]) -> str:
    header = (
        f"{'function':<17} {'before':>7} {'min ms':>7} {'median':>7} {'target':>6} {'ratio':>5} {'':4} {'+warm':>7}  "
        "top 5 (median run, ms)"
    )
    out = [header, "-" * len(header)]
    for row in rows:
        warm = f"{row.warm_median_ms:7.0f}" if row.warm_median_ms is not None else f"{'-':>7}"
        target = f"{row.target_ms:6.0f}" if row.target_ms is not None else f"{'-':>6}"
        ratio = f"{row.ratio:5.2f}" if row.ratio is not None else f"{'-':>5}"
        pieces = ", ".join(f"{name} {ms:.0f}" for name, ms in row.pieces)
        before = f"{row.before_median_ms:7.0f}" if row.before_median_ms is not None else f"{'-':>7}"
        times = f"{before} {row.min_ms:7.0f} {row.median_ms:7.0f}"
        out.append(f"{row.function:<17} {times} {target} {ratio} {row.verdict:4} {warm}  {pieces}")
    return "\n".join(out)


def run(
    repeats: int = REPEATS, *, trace_disabled: bool = False, warm: bool = True, before_root: Path | None = None
) -> str:
    rows = [
        measure(spec, repeats, trace_disabled=trace_disabled, warm=warm, before_root=before_root) for spec in FUNCTIONS
    ]
    title = (
        f"Cold start: handler import, {repeats} fresh interpreters per function, "
        f"tracing {'off' if trace_disabled else 'on'} (AWS stage environment); "
        "+warm = import + before-snapshot warm-up (median)"
        + (f"; before = median from {before_root}, alternated with this tree" if before_root else "")
    )
    return f"{title}\n{format_table(rows)}"


def test_cold_start_table() -> None:
    """Prints the table (`pytest -s`); asserts only that every handler imports."""
    print()
    before = os.environ.get("BENCH_COLD_START_BEFORE")  # a tree to compare with (see --before)
    print(run(int(os.environ.get("BENCH_COLD_START_REPEATS", REPEATS)), before_root=Path(before) if before else None))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--trace-disabled", action="store_true", help="POWERTOOLS_TRACE_DISABLED=true (local stage)")
    parser.add_argument("--no-warm", action="store_true", help="skip the before-snapshot column")
    parser.add_argument(
        "--before", type=Path, help="another tree of this repository (`git archive`), measured alternately"
    )
    args = parser.parse_args()
    print(run(args.repeats, trace_disabled=args.trace_disabled, warm=not args.no_warm, before_root=args.before))
