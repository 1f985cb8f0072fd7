"""GET /v1/health, no key: is the database reachable, is Triton ready? 200 when both are, else 503."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import text

from speech_core.db.engine import default_database_url, get_engine
from speech_core.inference.transport import get_transport


class HealthSettings(BaseSettings):
    """The function's environment (written by CDK): where Triton is."""

    model_config = SettingsConfigDict(extra="ignore")

    triton_url: str
    triton_protocol: Literal["grpc", "http"] = "grpc"


class Check(BaseModel):
    status: Literal["ok", "down"]
    latency_ms: float
    detail: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, Check]


@lru_cache(maxsize=1)
def settings() -> HealthSettings:
    return HealthSettings()


def _timed(probe: Callable[[], bool]) -> Check:
    started = time.perf_counter()
    try:
        healthy, detail = probe(), None
    except Exception as error:  # noqa: BLE001 - a health check reports failures, it does not raise them
        healthy, detail = False, type(error).__name__
    return Check(status="ok" if healthy else "down", latency_ms=round((time.perf_counter() - started) * 1000, 1),
                 detail=detail)


def _database_ready() -> bool:
    with get_engine(default_database_url()).connect() as connection:
        return connection.execute(text("SELECT 1")).scalar() == 1


def _triton_ready() -> bool:
    return get_transport(settings().triton_url, settings().triton_protocol).is_ready()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway proxy event -> 200 {"status": "ok", "checks": {...}} or 503 with the failing check."""
    checks = {"database": _timed(_database_ready), "triton": _timed(_triton_ready)}
    health = Health(status="ok" if all(c.status == "ok" for c in checks.values()) else "degraded", checks=checks)
    return {"statusCode": 200 if health.status == "ok" else 503,
            "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
            "body": json.dumps(health.model_dump(exclude_none=True))}
