"""Lambda SnapStart runtime hooks: what a function warms before its snapshot, and what it renews after a restore.

With SnapStart (`functions.snap_start` in cdk.json: the AWS stages), Lambda runs a published version's init
once, snapshots the memory, and starts every later execution environment from that snapshot. So whatever the
handler's first call would load lazily is worth loading *before* the snapshot: a restored function then pays
neither the import nor the build. Each handler calls `register_snapshot_hooks(ENVIRONMENT)` once; the hooks
run only under SnapStart (the `snapshot_restore_py` module ships with Lambda's Python runtimes; elsewhere,
locally and in the tests, registering is a no-op).

Before the snapshot, per the settings the function declared, and nothing that touches the network:
- the tracer (the X-Ray SDK and its patches), where tracing is on;
- the database code (SQLAlchemy, the psycopg driver, the repositories and rate limiter) — **not** the engine:
  its URL comes from the Secrets Manager secret, which rotates (a snapshot lives as long as its version) and
  whose fetch is a network call, and a pooled connection would be shared by every restored copy and dead;
- the Triton client code (numpy, tritonclient for the configured protocol) — **not** the channel: a gRPC
  channel's sockets do not survive a restore and one opened in init would be shared by every copy;
- the model registry (a pure YAML parse, identical for every copy) and boto3's modules (no client: a client
  resolves credentials, which Lambda renews for the restored environment);
- the audio stack (numpy, soundfile, soxr) where the function decodes or encodes audio;
- the OpenAPI document, in the function that serves it.

After a restore, whatever must be unique per execution environment is renewed (AWS's SnapStart guidance on
uniqueness): the `random` module is reseeded and the Triton sequence-id counter (random high bits, drawn at
import) draws new bits. Connections are opened by the first call, as without SnapStart (the pool pre-pings).
"""

from __future__ import annotations

import importlib
import sys

from speech_core.settings import (
    ApiKeySettings,
    DatabaseSettings,
    FunctionEnvironment,
    InferenceSettings,
    RegistrySettings,
    StorageSettings,
    get_inference_settings,
)

#: modules the database path loads at its first call
DATABASE_MODULES = ("psycopg", "speech_core.db.engine", "speech_core.db.repositories", "speech_core.keys.rate_limiter")
#: modules an authorizer's first key check loads (pydantic records, the key service)
KEY_SERVICE_MODULES = ("speech_core.keys.api_key_service",)
#: modules the audio path loads at its first call (routes that decode or encode audio)
AUDIO_MODULES = ("numpy", "soundfile", "soxr", "speech_core.audio")
#: modules any AWS SDK call loads (clients are created after the restore, with the environment's credentials)
AWS_SDK_MODULES = ("boto3", "botocore.client", "botocore.exceptions")


#: services that decode or encode audio: a function whose route imported one warms the audio stack
AUDIO_SERVICES = ("speech_core.services.asr", "speech_core.services.tts", "speech_core.services.pipeline")


def modules_to_warm(environment: FunctionEnvironment) -> list[str]:
    """The modules a function with these settings (and the route it imported) loads lazily, in import order."""
    modules: list[str] = []
    if DatabaseSettings in environment:
        modules += DATABASE_MODULES
    if ApiKeySettings in environment:  # the authorizers: the key service loads at their first check otherwise
        modules += KEY_SERVICE_MODULES
    if InferenceSettings in environment:
        protocol = get_inference_settings().triton_protocol
        modules += ("numpy", f"tritonclient.{protocol}", "speech_core.inference.client")
    if StorageSettings in environment or DatabaseSettings in environment:
        modules += AWS_SDK_MODULES  # S3 for the storage, Secrets Manager for the database secret
    if any(name in sys.modules for name in AUDIO_SERVICES):
        modules += AUDIO_MODULES
    return list(dict.fromkeys(modules))


def warm_for_snapshot(environment: FunctionEnvironment) -> list[str]:
    """Load what the function's first call would (see the module doc); returns the modules imported.

    `environment` is the handler's `ENVIRONMENT` (the settings models it declared)."""
    from speech_core.observability import tracer  # cold start: the authorizer never loads Powertools otherwise

    tracer.load()
    modules = modules_to_warm(environment)
    for name in modules:
        importlib.import_module(name)
    if RegistrySettings in environment:
        from speech_core.services.dependencies import get_service_deps  # cold start: built for the snapshot

        get_service_deps().registry  # noqa: B018 - builds and caches the parsed registry
    openapi = sys.modules.get("speech_core.api.openapi")
    if openapi is not None:  # the OpenAPI function: its document (every route imported) is its whole first call
        openapi.build_openapi()
    return modules


def renew_after_restore() -> None:
    """Renew what must differ between execution environments restored from one snapshot."""
    import random  # cold start: only a restored function reseeds

    random.seed()
    client = sys.modules.get("speech_core.inference.client")
    if client is not None:
        client.reseed_sequence_ids()


def warm_and_log(environment: FunctionEnvironment) -> None:
    from speech_core.observability import logger  # cold start: the authorizer never loads Powertools otherwise

    warmed = warm_for_snapshot(environment)
    logger.info("warmed for the SnapStart snapshot", extra={"modules": warmed})


def register_snapshot_hooks(environment: FunctionEnvironment) -> bool:
    """Register the hooks with Lambda's SnapStart runtime; False (nothing registered) outside it.

    `environment` is the handler's `ENVIRONMENT`; the before-snapshot hook warms what those settings need."""
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found, unused-ignore]  # in Lambda's runtime
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:  # not a Lambda Python runtime (local runtime, tests): no snapshot is ever taken
        return False
    register_before_snapshot(warm_and_log, environment)
    register_after_restore(renew_after_restore)
    return True
