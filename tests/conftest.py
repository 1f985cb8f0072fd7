"""Shared test configuration. Suites: unit/ (no network), integration/ (real PostgreSQL, Triton,
LocalStack), infra/ (CDK templates), e2e/ (the local stack over HTTP/WebSocket). Benchmarks
(tests/benchmarks/bench_*.py) are not collected here: `make bench` runs them."""

import os

collect_ignore_glob = ["benchmarks/*"]

# Handlers called in-process see what CDK writes for every function (Powertools reads these itself).
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "tests")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SpeechPlatformTests")
