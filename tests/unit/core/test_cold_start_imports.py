"""What a function imports at cold start: structural facts, never timings (issue 10.3).

Each handler is imported in a fresh interpreter the way Lambda imports it (repository root + the core layer on
`sys.path`, an AWS stage's environment: tracing on), and the heavy libraries its first call loads lazily must not
be in `sys.modules` yet. `tests/benchmarks/bench_cold_start.py` (`make bench-cold-start`) measures the times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infra_cdk.function_catalog import FUNCTIONS, MIGRATION_FUNCTION_ID, FunctionSpec, function_by_id
from speech_core.observability import LazyTracer, tracing_enabled
from tests.benchmarks.bench_cold_start import LAMBDA_RUNTIME_ENV, handler_module, stage_environment

REPO_ROOT = Path(__file__).resolve().parents[3]

#: loaded by the first call that needs them (or before a SnapStart snapshot), never by importing a handler.
#: `botocore` itself is imported by Powertools (its user-agent hook, 1 ms); the client machinery is not.
LAZY_EVERYWHERE = ("aws_xray_sdk", "sqlalchemy", "psycopg", "boto3", "botocore.client", "tritonclient", "httpx")
LAZY_AUDIO = ("numpy", "soundfile", "soxr", "yaml", "srt", "webvtt")


def _modules_after_import(spec: FunctionSpec, extra_code: str = "") -> set[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **LAMBDA_RUNTIME_ENV,
        "AWS_LAMBDA_FUNCTION_NAME": f"speech-dev-{spec.id}",
        **stage_environment(spec),
    }
    code = textwrap.dedent(
        f"""
        import importlib, json, sys
        sys.path[:0] = [{str(REPO_ROOT)!r}, {str(REPO_ROOT / "layers" / "core" / "python")!r}]
        handler_module = importlib.import_module({handler_module(spec)!r})
        {extra_code}
        print(json.dumps(sorted(sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], env=env, cwd="/tmp", capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


@pytest.mark.parametrize("spec", [s for s in FUNCTIONS if s.id != MIGRATION_FUNCTION_ID], ids=lambda s: s.id)
def test_no_handler_imports_what_only_its_first_call_needs(spec: FunctionSpec) -> None:
    modules = _modules_after_import(spec)
    assert _loaded(modules, LAZY_EVERYWHERE + LAZY_AUDIO) == []


def test_the_authorizer_loads_neither_powertools_nor_pydantic_nor_the_key_service() -> None:
    modules = _modules_after_import(function_by_id("AuthorizeRequest"))
    heavy = ("aws_lambda_powertools", "pydantic", "pydantic_settings", "speech_core.contracts", "speech_core.db")
    assert _loaded(modules, (*heavy, "speech_core.keys.api_key_service")) == []


def test_a_route_builds_only_its_own_contracts() -> None:
    modules = _modules_after_import(function_by_id("TranslateText"))
    assert "speech_core.contracts.translation" in modules
    assert _loaded(modules, ("speech_core.contracts.asr", "speech_core.contracts.pipeline")) == []


def test_the_lazy_tracer_never_builds_powertools_tracer_where_tracing_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert not tracing_enabled()
    lazy = LazyTracer()

    @lazy.capture_method(capture_response=False)
    def double(x: int) -> int:
        return 2 * x

    assert double(21) == 42
    assert lazy.load() is None
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    monkeypatch.delenv("LAMBDA_TASK_ROOT")
    assert not tracing_enabled()  # outside Lambda, as Powertools decides
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    assert tracing_enabled()


def test_the_lazy_tracer_traces_through_powertools_where_tracing_is_on() -> None:
    spec = function_by_id("GetOpenapi")
    code = textwrap.dedent(
        """
        from speech_core.observability import tracer
        @tracer.capture_method(capture_response=False)
        def answer():
            return 42
        assert "aws_xray_sdk" not in sys.modules
        assert answer() == 42  # the first traced call builds Powertools' Tracer: a subsegment under Lambda's
        assert tracer.load() is not None and "aws_xray_sdk" in sys.modules
        """
    )
    modules = _modules_after_import(spec, code.replace("\n", "\n        "))
    assert "aws_xray_sdk.core" in modules


def test_a_route_loads_the_rest_resolver_without_the_other_powertools_resolvers() -> None:
    modules = _modules_after_import(function_by_id("TranslateText"))
    assert "aws_lambda_powertools.event_handler.api_gateway" in modules
    assert _loaded(modules, ("aws_lambda_powertools.event_handler.appsync", "asyncio", "pydantic_settings")) == []
    # every name the package documents still resolves (its __init__ runs at the first other name)
    later = _modules_after_import(
        function_by_id("TranslateText"), "from aws_lambda_powertools.event_handler import AppSyncResolver"
    )
    assert "aws_lambda_powertools.event_handler.appsync" in later


def test_no_pydantic_plugin_is_installed_so_disabling_them_changes_nothing() -> None:
    from importlib.metadata import entry_points

    assert list(entry_points(group="pydantic")) == []  # what CDK's PYDANTIC_DISABLE_PLUGINS=__all__ relies on


def test_a_route_builds_its_models_without_pydantic_scanning_for_plugins() -> None:
    modules = _modules_after_import(function_by_id("TranslateText"))
    assert "pydantic" in modules and "importlib.metadata" not in modules
