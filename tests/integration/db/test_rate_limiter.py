"""The per-key rate limiter against a real PostgreSQL: exact counts, Retry-After, refusals cost nothing."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from speech_core.db.engine import get_sessions
from speech_core.db.records import NewApiKey
from speech_core.db.repositories import get_repositories
from speech_core.errors import ErrorCode, LimitError
from speech_core.keys import KeyLimits
from speech_core.keys.rate_limiter import RateLimiter


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def key_id(database_url) -> uuid.UUID:
    repos = get_repositories(database_url)
    tenant = repos.tenants.create(f"rl-{uuid.uuid4().hex[:8]}", "Rate limited")
    return repos.api_keys.add(
        NewApiKey(
            tenant_id=tenant.id,
            name="k",
            prefix=f"spk_{uuid.uuid4().hex[:12]}",
            key_hash=b"\0" * 32,
            scopes=["asr"],
            rate_per_minute=60,
            rate_per_hour=1000,
            daily_quota=10000,
        )
    ).id


def test_exactly_the_configured_count_passes_per_minute(database_url, key_id):
    # Given a key allowed 3 requests a minute, 20 seconds into a minute
    clock = Clock(datetime(2026, 11, 22, 10, 15, 20, tzinfo=UTC))
    limiter = RateLimiter(get_sessions(database_url), clock)
    limits = KeyLimits(per_minute=3, per_hour=100, per_day=1000)
    for _ in range(3):
        limiter.acquire(key_id, limits)
    # When the 4th arrives in the same minute
    with pytest.raises(LimitError) as caught:
        limiter.acquire(key_id, limits)
    # Then it is refused with the time left in the minute, and it consumed nothing
    assert caught.value.code is ErrorCode.RATE_LIMITED and caught.value.http_status == 429
    assert caught.value.retry_after_s == 40
    assert limiter.current(key_id) == {"minute": 3, "hour": 3, "day": 3}
    # and the next minute is a fresh window
    clock.now += timedelta(seconds=40)
    limiter.acquire(key_id, limits)
    assert limiter.current(key_id) == {"minute": 1, "hour": 4, "day": 4}


def test_hourly_limit_and_daily_quota(database_url, key_id):
    clock = Clock(datetime(2026, 11, 22, 23, 58, 0, tzinfo=UTC))
    limiter = RateLimiter(get_sessions(database_url), clock)
    limiter.acquire(key_id, KeyLimits(per_minute=10, per_hour=1, per_day=5))
    with pytest.raises(LimitError) as hourly:
        limiter.acquire(key_id, KeyLimits(per_minute=10, per_hour=1, per_day=5))
    assert hourly.value.code is ErrorCode.RATE_LIMITED and hourly.value.retry_after_s == 120
    with pytest.raises(LimitError) as daily:
        limiter.acquire(key_id, KeyLimits(per_minute=10, per_hour=10, per_day=1))
    assert daily.value.code is ErrorCode.QUOTA_EXCEEDED and daily.value.retry_after_s == 120


def test_concurrent_requests_never_exceed_the_limit(database_url, key_id):
    limiter = RateLimiter(get_sessions(database_url), Clock(datetime(2026, 11, 22, 9, 0, 5, tzinfo=UTC)))
    limits = KeyLimits(per_minute=25, per_hour=1000, per_day=1000)

    def attempt(_: int) -> bool:
        try:
            limiter.acquire(key_id, limits)
            return True
        except LimitError:
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(60)))
    assert outcomes.count(True) == 25
    assert limiter.current(key_id)["minute"] == 25


def test_old_windows_are_dropped_on_a_new_day(database_url, key_id):
    clock = Clock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    sessions = get_sessions(database_url)
    limiter = RateLimiter(sessions, clock)
    limiter.acquire(key_id, KeyLimits())
    clock.now = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
    limiter.acquire(key_id, KeyLimits())
    with sessions() as session:
        from sqlalchemy import text

        starts = (
            session.execute(text("SELECT window_start FROM rate_windows WHERE api_key_id = :k"), {"k": key_id})
            .scalars()
            .all()
        )
    assert all(start >= datetime(2026, 11, 5, tzinfo=UTC) for start in starts) and len(starts) == 3
