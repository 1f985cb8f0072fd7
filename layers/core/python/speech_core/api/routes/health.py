"""GET /v1/health, no key: can this deployment reach its database and its model server?"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from speech_core.api.http_app import JSON
from speech_core.settings import get_inference_settings

router = Router()


class Check(BaseModel):
    status: Literal["ok", "down"]
    latency_ms: float
    detail: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, Check]


def _timed(probe: Callable[[], bool]) -> Check:
    started = time.perf_counter()
    try:
        healthy, detail = probe(), None
    except Exception as error:  # noqa: BLE001 - a health check reports failures, it does not raise them
        healthy, detail = False, type(error).__name__
    return Check(
        status="ok" if healthy else "down", latency_ms=round((time.perf_counter() - started) * 1000, 1), detail=detail
    )


def _database_ready() -> bool:
    from sqlalchemy import text  # cold start: SQLAlchemy loads at the first check

    from speech_core.db.engine import default_database_url, get_engine  # cold start: sqlalchemy.orm at first check

    with get_engine(default_database_url()).connect() as connection:
        return connection.execute(text("SELECT 1")).scalar() == 1


def _triton_ready() -> bool:
    from speech_core.inference import get_transport  # cold start: numpy and tritonclient load at the first check

    settings = get_inference_settings()
    return get_transport(settings.triton_url, settings.triton_protocol).is_ready()


@router.get(
    "/v1/health",
    summary="Health of the database and the model server (no key)",
    tags=["health"],
    responses={
        200: {"description": "All checks pass", "content": {"application/json": {"model": Health}}},
        503: {"description": "A check fails", "content": {"application/json": {"model": Health}}},
    },
)
def get_health() -> Response[Health]:
    checks = {"database": _timed(_database_ready), "triton": _timed(_triton_ready)}
    health = Health(status="ok" if all(c.status == "ok" for c in checks.values()) else "degraded", checks=checks)
    return Response(200 if health.status == "ok" else 503, JSON, body=health, headers={"Cache-Control": "no-store"})
