"""Load on the local cloud started cold: 32 concurrent clients for at most 60 s, a mixed workload (ASR on a
real recording, TTS, translation, transliteration), loopback only.

Cold start: this module runs first in the e2e session (tests/e2e/conftest.py puts it there), so the session's
stack has only answered its own health check: every function it calls here, and the authorizer, starts its
workers under this load. The test checks that no metered call came before it (the dev tenant's request log is
empty) rather than trusting the order alone.

Bounded: at most MAX_REQUESTS calls and no new call after LOAD_SECONDS; each call times out after
CALL_TIMEOUT_S, so the load phase ends within ~LOAD_SECONDS + CALL_TIMEOUT_S.

A gateway 504 (29 s integration timeout) leaves its invocation running, as on AWS; metering records such a
late call as the 504 the client got (nothing billed), so on a failing run the 2xx counts still match.

The mix (MIX clients per task) and the pause between a client's calls (THINK_S) are sized for this 2-core
machine, where the functions, Triton on CPU, PostgreSQL and LocalStack share the cores (docs/benchmarks.md
"Load test" has the closed-loop runs without pauses and why they saturate it).

Given a fresh key whose limits the load cannot reach, When 32 clients call the API for a minute,
Then no call fails in the platform (no 5xx, no transport error), every answer is a correct 2xx (the stage
throttle's 429 is the only 4xx allowed), and the key's usage (GET /v1/usage) and its request-log rows count
exactly the calls the functions answered, per task: nothing lost, nothing counted twice.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import pytest

from local_cloud.cloud_lifecycle import DEV_TENANT
from speech_core.db.repositories import get_repositories
from speech_core.keys import KeyLimits, get_api_key_service
from tests.e2e.conftest import LocalCloud, b64

pytestmark = pytest.mark.e2e

CLIENTS = 32
#: clients per task, in the order of _tasks (asr, tts, translation, transliteration)
MIX = tuple(int(n) for n in os.environ.get("LOAD_MIX", "4,8,10,10").split(","))
assert sum(MIX) == CLIENTS, MIX
#: each client waits this long (uniform, seconds) between its calls, as people and services do
THINK_S = tuple(float(s) for s in os.environ.get("LOAD_THINK_S", "1,3").split(","))
LOAD_SECONDS = 60.0
MAX_REQUESTS = 20_000
CALL_TIMEOUT_S = 32.0  # past the gateway's 29 s integration timeout: a slow call is its 504, not ours
UNREACHABLE = KeyLimits(per_minute=1_000_000, per_hour=10_000_000, per_day=100_000_000)
EN = {"sourceLanguage": "en"}
#: the one 4xx a correct platform may give here: API Gateway's stage throttle (rate 50/s, burst 100; its
#: gateway response in infra_cdk/capabilities/rest_api.py), which answers before any function runs, so no
#: request-log row is expected for it
STAGE_THROTTLE = (429, "Too many requests.")


@dataclass(frozen=True)
class Task:
    name: str  # the internal task name: request log, usage
    path: str
    body: dict[str, Any]
    correct: Callable[[dict[str, Any]], bool]


def _tasks(goforward_wav: bytes) -> list[Task]:
    return [
        Task(
            "asr",
            "v1/asr",
            {"audio": [{"audioContent": b64(goforward_wav)}], "config": {"language": EN}},
            lambda body: "forward" in body["output"][0]["source"],
        ),
        Task(
            "tts",
            "v1/tts",
            {"input": [{"source": "This is a test sentence."}], "config": {"language": EN, "gender": "female"}},
            lambda body: len(body["audio"][0]["audioContent"]) > 1000,
        ),
        Task(
            "translation",
            "v1/nmt",
            {
                "input": [{"source": "The house is big."}],
                "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
            },
            lambda body: body["output"][0]["target"] == "La casa es grande.",
        ),
        Task(
            "transliteration",
            "v1/transliterate",
            {
                "input": [{"source": "namaste"}],
                "config": {"language": {"sourceLanguage": "en", "targetLanguage": "hi"}},
            },
            lambda body: body["output"][0]["target"] == ["नमस्ते"],
        ),
    ]


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    wrong_answers: int = 0
    throttled: int = 0  # stage throttle 429s, answered by the gateway alone
    latencies_ms: list[float] = field(default_factory=list)  # of 2xx answers
    samples: dict[int, str] = field(default_factory=dict)  # one body per unexpected status

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + sum(self.transport_errors.values())

    @property
    def answered_by_function(self) -> int:
        """Calls a function answered (and so must have logged): every answer except the gateway's own."""
        return sum(n for status, n in self.statuses.items() if status < 500) - self.throttled


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def _cumulative(counts: tuple[int, ...]) -> list[int]:
    return [sum(counts[: i + 1]) for i in range(len(counts))]


def _run_load(cloud: LocalCloud, key: str, tasks: list[Task]) -> tuple[dict[str, Tally], float]:
    tallies = {task.name: Tally() for task in tasks}
    lock = threading.Lock()
    issued = 0
    started = time.monotonic()
    deadline = started + LOAD_SECONDS

    def client(index: int) -> None:
        nonlocal issued
        task = tasks[next(i for i, end in enumerate(_cumulative(MIX)) if index < end)]
        rng = random.Random(index)  # the same think times in every run
        tally = tallies[task.name]
        with httpx.Client(base_url=cloud.api_url, headers={"x-api-key": key}, timeout=CALL_TIMEOUT_S) as http:
            while time.monotonic() < deadline:
                with lock:
                    if issued >= MAX_REQUESTS:
                        return
                    issued += 1
                call_started = time.perf_counter()
                try:
                    response = http.post(task.path, json=task.body)
                except httpx.TransportError as error:
                    with lock:
                        tally.transport_errors[type(error).__name__] += 1
                    continue
                elapsed_ms = (time.perf_counter() - call_started) * 1000
                status = response.status_code
                throttled = (status, _message(response)) == STAGE_THROTTLE
                correct = 200 <= status < 300 and _is_correct(task, response)
                with lock:
                    tally.statuses[status] += 1
                    tally.throttled += throttled
                    if correct:
                        tally.latencies_ms.append(elapsed_ms)
                    elif not throttled:
                        tally.wrong_answers += 200 <= status < 300
                        tally.samples.setdefault(status, response.text[:300])
                time.sleep(min(rng.uniform(*THINK_S), max(0.0, deadline - time.monotonic())))

    threads = [threading.Thread(target=client, args=(i,), name=f"load-{i}") for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + CALL_TIMEOUT_S + 30)
    assert not any(thread.is_alive() for thread in threads), "a load client did not finish"
    return tallies, time.monotonic() - started


def _message(response: httpx.Response) -> str | None:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    return error.get("message") if isinstance(error, dict) else None


def _is_correct(task: Task, response: httpx.Response) -> bool:
    try:
        return bool(task.correct(response.json()))
    except (ValueError, KeyError, IndexError, TypeError):
        return False


def _table(tallies: dict[str, Tally], elapsed_s: float) -> str:
    lines = [
        f"load: {CLIENTS} clients, {elapsed_s:.1f} s, {sum(t.requests for t in tallies.values())} requests",
        f"{'task':<16} {'requests':>8} {'req/s':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses",
    ]
    for name, tally in tallies.items():
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items()))
        statuses += "".join(f", {kind}: {n}" for kind, n in sorted(tally.transport_errors.items()))
        if tally.wrong_answers:
            statuses += f", wrong 2xx: {tally.wrong_answers}"
        lines.append(
            f"{name:<16} {tally.requests:>8} {tally.requests / elapsed_s:>6.1f} "
            f"{_percentile(tally.latencies_ms, 50):>8.0f} {_percentile(tally.latencies_ms, 95):>8.0f} "
            f"{_percentile(tally.latencies_ms, 99):>8.0f}  {statuses}"
        )
    return "\n".join(lines)


def test_thirty_two_clients_on_a_cold_stack(local_cloud: LocalCloud, make_key, goforward_wav) -> None:
    repositories = get_repositories(local_cloud.database_url)
    tenant = repositories.tenants.get_by_name(DEV_TENANT)
    assert tenant is not None
    assert repositories.request_log.list_for_tenant(tenant.id, limit=1) == [], (
        "a metered call ran before the load test: its functions are not cold (it must run first in the session)"
    )
    key = make_key(limits=UNREACHABLE)
    key_id = get_api_key_service(local_cloud.database_url).verify(key).key_id
    tasks = _tasks(goforward_wav)

    tallies, elapsed_s = _run_load(local_cloud, key, tasks)
    print("\n" + _table(tallies, elapsed_s))

    # what the platform recorded for this key: the request log's rows and GET /v1/usage, per task
    rows = repositories.request_log.list_for_tenant(tenant.id, limit=MAX_REQUESTS + 1000)
    logged = Counter(row.task for row in rows if row.api_key_id == key_id)
    logged_ok = Counter(row.task for row in rows if row.api_key_id == key_id and row.status < 300)
    with local_cloud.client(key) as http:
        usage = http.get("v1/usage")
    problems: list[str] = []
    used: Counter[str] = Counter()
    used_errors: Counter[str] = Counter()
    if usage.status_code == 200:
        for day in usage.json()["days"]:  # a run across midnight UTC has two days
            used[day["task"]] += day["requests"]
            used_errors[day["task"]] += day["errors"]
    else:
        problems.append(f"GET /v1/usage: {usage.status_code} {usage.text[:300]}")

    for name, tally in tallies.items():
        server_errors = {status: n for status, n in tally.statuses.items() if status >= 500}
        unexpected_4xx = sum(n for status, n in tally.statuses.items() if 400 <= status < 500) - tally.throttled
        answered_2xx = sum(n for status, n in tally.statuses.items() if 200 <= status < 300)
        if server_errors:
            problems.append(f"{name}: 5xx {server_errors}")
        if tally.transport_errors:
            problems.append(f"{name}: transport errors {dict(tally.transport_errors)}")
        if unexpected_4xx or tally.wrong_answers:
            problems.append(f"{name}: {unexpected_4xx} unexpected 4xx, {tally.wrong_answers} wrong 2xx answers")
        expected = tally.answered_by_function
        if (logged[name], used[name]) != (expected, expected):
            problems.append(f"{name}: answered {expected}, request log {logged[name]}, usage {used[name]}")
        if (logged_ok[name], used[name] - used_errors[name]) != (answered_2xx, answered_2xx):
            problems.append(
                f"{name}: answered 2xx {answered_2xx}, request log 2xx {logged_ok[name]}, "
                f"usage successes {used[name] - used_errors[name]}"
            )
        problems.extend(f"{name}: e.g. {status} {sample}" for status, sample in sorted(tally.samples.items()))
    assert set(logged) <= set(tallies) and set(used) <= set(tallies), (dict(logged), dict(used))
    assert sum(t.requests for t in tallies.values()) > CLIENTS, "the load never got going"
    assert not problems, "\n".join(problems)
