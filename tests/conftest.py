"""Shared test configuration. Suites: unit/ (no network), integration/ (real PostgreSQL, Triton,
LocalStack), infra/ (CDK templates), e2e/ (the local stack over HTTP/WebSocket). Benchmarks
(tests/benchmarks/bench_*.py) are not collected here: `make bench` runs them."""

collect_ignore_glob = ["benchmarks/*"]
