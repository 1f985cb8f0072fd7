"""When a failed call is tried again, and how long the client waits first.

- 429 (rate limit, quota) is retried for every call: the API did not count or run a refused request. The wait is
  the server's `Retry-After` when it sent one (a wait longer than `max_retry_after_s`, e.g. a daily quota, is not
  waited out: the error is raised at once), else the backoff.
- 5xx (502, 503, 504, 500) and transport errors (connection refused or reset, timeouts) are retried only for
  idempotent calls: reads, deletes, presigned uploads, inference (it changes no state; a repeat is metered
  again), and job creation (the client always sends an `idempotencyKey`, so a repeat finds the same job).
  Cancel and retry of a job are not repeated on their own.
- Backoff: `base_delay_s * 2**(attempt-1)`, capped at `max_delay_s`, with up to `jitter` of it added at random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_SERVER_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    #: tries in all, the first included (1 = never retry)
    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    jitter: float = 0.25
    #: the longest Retry-After the client waits out; a longer one is raised to the caller
    max_retry_after_s: float = 60.0

    def backoff_s(self, attempt: int) -> float:
        """The wait after failed try number `attempt` (1-based)."""
        delay = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return delay * (1 + self.jitter * random.random())

    def should_retry_status(self, status: int, attempt: int, *, idempotent: bool) -> bool:
        if attempt >= self.max_attempts:
            return False
        return status == 429 or (idempotent and status in RETRYABLE_SERVER_STATUSES)

    def should_retry_transport(self, attempt: int, *, idempotent: bool) -> bool:
        return idempotent and attempt < self.max_attempts


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
