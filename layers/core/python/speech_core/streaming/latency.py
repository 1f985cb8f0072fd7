"""A session's partial latencies as a small histogram (pure; stored in the connection row as JSON).

A 2 h stream at 4 frames a second has ~29 000 partials; a log-spaced histogram (buckets 5 % apart) keeps the
percentiles within 5 % in a few dozen numbers however long the stream runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

#: each bucket's upper bound is this factor above the one below it
_GROWTH = 1.05
_LOG_GROWTH = math.log(_GROWTH)


def bucket_of(latency_ms: float) -> int:
    """The bucket a latency falls in (1 ms and below share bucket 0)."""
    return max(0, math.ceil(math.log(max(latency_ms, 1.0)) / _LOG_GROWTH))


def bucket_value(bucket: int) -> float:
    """The bucket's upper bound in ms (what a percentile reports: at most 5 % above the true value)."""
    return round(_GROWTH**bucket, 1)


def add(histogram: Mapping[int, int], latency_ms: float) -> dict[int, int]:
    """The histogram with one more latency."""
    updated = dict(histogram)
    bucket = bucket_of(latency_ms)
    updated[bucket] = updated.get(bucket, 0) + 1
    return updated


def percentile(histogram: Mapping[int, int], fraction: float) -> float | None:
    """The latency `fraction` (0..1) of the partials stayed within (None: no partials)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket_value(bucket)
    return bucket_value(max(histogram))  # unreachable: the counts add up to total
