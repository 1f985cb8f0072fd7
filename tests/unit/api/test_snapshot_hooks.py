"""SnapStart runtime hooks (`speech_core.api.snapshot`): the warm-up loads what a function's first call would and
opens nothing; the hooks register only with Lambda's runtime; a restore renews what must be unique."""

from __future__ import annotations

import sys
import types

import pytest

from infra_cdk.function_catalog import function_by_id
from speech_core.api import snapshot
from speech_core.settings import DatabaseSettings, InferenceSettings, RegistrySettings, StorageSettings
from tests.unit.core.test_cold_start_imports import _loaded, _modules_after_import


def test_the_snapshot_warm_up_loads_what_the_first_call_would() -> None:
    warm = "from speech_core.api.snapshot import warm_for_snapshot; warm_for_snapshot(handler_module.ENVIRONMENT)"
    asr = _modules_after_import(function_by_id("Asr"), warm)
    # tracing is on in the AWS stages: the X-Ray SDK goes into the snapshot with everything the route loads lazily
    assert _loaded(asr, ("aws_xray_sdk", "sqlalchemy", "psycopg", "boto3", "tritonclient.grpc", "numpy", "soxr")) == [
        "aws_xray_sdk",
        "sqlalchemy",
        "psycopg",
        "boto3",
        "tritonclient.grpc",
        "numpy",
        "soxr",
    ]
    translate = _modules_after_import(function_by_id("TranslateText"), warm)
    assert "tritonclient.grpc" in translate and "soundfile" not in translate  # no audio on a text route
    openapi = _modules_after_import(function_by_id("GetOpenapi"), warm)
    assert "speech_core.api.routes.asr" in openapi  # the document is built, every route imported, before the snapshot
    authorizer = _modules_after_import(function_by_id("AuthorizeRequest"), warm)
    assert "sqlalchemy" in authorizer and "tritonclient" not in authorizer
    assert "speech_core.keys.api_key_service" in authorizer  # the key check the first request would load


def test_the_warm_up_opens_no_connection_and_reads_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRITON_URL", "localhost:1")
    monkeypatch.setenv("TRITON_PROTOCOL", "grpc")
    environment = (DatabaseSettings, InferenceSettings, StorageSettings)
    modules = snapshot.modules_to_warm(environment)
    assert "speech_core.db.engine" in modules and "tritonclient.grpc" in modules
    import speech_core.db.engine as db_engine
    from speech_core.inference import transport

    engines, channels = db_engine.get_engine.cache_info().currsize, transport.get_transport.cache_info().currsize
    snapshot.warm_for_snapshot(environment)
    assert db_engine.get_engine.cache_info().currsize == engines  # no engine: no pool, no secret fetched
    assert transport.get_transport.cache_info().currsize == channels  # no Triton channel


def test_hooks_register_with_the_snapstart_runtime_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "snapshot_restore_py", raising=False)
    assert snapshot.register_snapshot_hooks((RegistrySettings,)) is False  # not a Lambda runtime: nothing to do

    registered: dict[str, list[tuple[object, tuple[object, ...]]]] = {"before": [], "after": []}
    fake = types.ModuleType("snapshot_restore_py")
    fake.register_before_snapshot = lambda f, *a: registered["before"].append((f, a))  # type: ignore[attr-defined]
    fake.register_after_restore = lambda f, *a: registered["after"].append((f, a))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    assert snapshot.register_snapshot_hooks((RegistrySettings,)) is True
    assert registered == {
        "before": [(snapshot.warm_and_log, ((RegistrySettings,),))],
        "after": [(snapshot.renew_after_restore, ())],
    }


def test_a_restore_draws_new_sequence_id_bits() -> None:
    from speech_core.inference import client

    first = client.next_sequence_id()
    snapshot.renew_after_restore()
    # another copy of the same snapshot would have continued from `first`; the restored one starts elsewhere
    assert client.next_sequence_id() >> 16 != first >> 16
