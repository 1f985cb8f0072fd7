"""The partial-latency histogram: percentiles within its 5 % buckets, however many partials."""

from __future__ import annotations

import random

import pytest

from speech_core.streaming import latency


def test_percentiles_are_within_five_percent_of_the_exact_ones():
    rng = random.Random(7)
    values = [rng.uniform(20, 900) for _ in range(5000)]
    histogram: dict[int, int] = {}
    for value in values:
        histogram = latency.add(histogram, value)
    ordered = sorted(values)
    for fraction in (0.5, 0.95):
        exact = ordered[int(fraction * len(ordered)) - 1]
        assert latency.percentile(histogram, fraction) == pytest.approx(exact, rel=0.06)
    assert len(histogram) < 80  # a few dozen numbers for thousands of partials


def test_no_partials_no_percentile_and_tiny_latencies_share_the_first_bucket():
    assert latency.percentile({}, 0.5) is None
    assert latency.percentile(latency.add({}, 0.2), 0.95) == 1.0
