"""Integration suites (a package, so pytest names tests/integration/local_cloud `integration.local_cloud`
and it cannot shadow the top-level `local_cloud` package)."""
