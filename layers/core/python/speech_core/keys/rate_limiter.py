"""Per-key request limits (default 60/minute, 1000/hour, 10000/day; overridable per key) in PostgreSQL.

Fixed windows aligned to the UTC minute, hour and day. One transaction upserts the key's three counters
(row locks serialise concurrent requests of the same key, so counts are exact across all function
instances); if any counter passes its limit the transaction rolls back — a refused request consumes nothing —
and the caller gets `LimitError` with the seconds until that window ends (`Retry-After`).

Why not API Gateway usage plans: they throttle by a per-second token bucket and a day/week/month quota,
which cannot express "60 per minute, 1000 per hour" exactly per key.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.tables import RateWindow
from speech_core.errors import ErrorCode, LimitError
from speech_core.keys.scopes import KeyLimits
from speech_core.observability import tracer

_WINDOWS: tuple[tuple[str, timedelta], ...] = (
    ("minute", timedelta(minutes=1)),
    ("hour", timedelta(hours=1)),
    ("day", timedelta(days=1)),
)
_KEEP = timedelta(days=2)


def window_start(at: datetime, window: str) -> datetime:
    at = at.astimezone(UTC)
    if window == "minute":
        return at.replace(second=0, microsecond=0)
    if window == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


class RateLimiter:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or (lambda: datetime.now(UTC))

    @tracer.capture_method(capture_response=False)
    def acquire(self, key_id: uuid.UUID, limits: KeyLimits) -> None:
        """Count one request for `key_id`, or raise LimitError (rate.limited / quota.exceeded) untouched."""
        now = self._clock()
        allowed = {"minute": limits.per_minute, "hour": limits.per_hour, "day": limits.per_day}
        starts = {name: window_start(now, name) for name, _ in _WINDOWS}
        with self._sessions() as session, session.begin():
            rows = insert(RateWindow).values(
                [{"api_key_id": key_id, "span": name, "window_start": starts[name], "count": 1} for name, _ in _WINDOWS]
            )
            statement = rows.on_conflict_do_update(
                index_elements=[RateWindow.api_key_id, RateWindow.span, RateWindow.window_start],
                set_={"count": RateWindow.count + 1},
            ).returning(RateWindow.span, RateWindow.count)
            counts = {name: count for name, count in session.execute(statement)}
            for name, length in _WINDOWS:
                if counts[name] > allowed[name]:
                    retry_after = max(1, math.ceil((starts[name] + length - now).total_seconds()))
                    code = ErrorCode.QUOTA_EXCEEDED if name == "day" else ErrorCode.RATE_LIMITED
                    raise LimitError(
                        code,
                        f"this API key allows {allowed[name]} requests per {name}",
                        retry_after_s=retry_after,
                        details={"limit": allowed[name], "window": name},
                    )
            if counts["day"] == 1:
                # first request of a new day for this key: drop its expired windows
                session.execute(
                    delete(RateWindow).where(RateWindow.api_key_id == key_id, RateWindow.window_start < now - _KEEP)
                )

    @tracer.capture_method(capture_response=False)
    def current(self, key_id: uuid.UUID) -> dict[str, int]:
        """This key's counts in the current windows (for `GET /v1/usage` and tests)."""
        now = self._clock()
        with self._sessions() as session:
            rows = session.execute(
                text("SELECT span, count FROM rate_windows WHERE api_key_id = :key AND window_start = ANY(:starts)"),
                {"key": key_id, "starts": [window_start(now, name) for name, _ in _WINDOWS]},
            ).all()
        counts = {name: 0 for name, _ in _WINDOWS}
        counts.update({name: count for name, count in rows})
        return counts
