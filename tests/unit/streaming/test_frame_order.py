"""Frames applied in seq order exactly once: duplicates ignored, frames ahead of a gap held, the gap bounded."""

from __future__ import annotations

import random

import pytest

from speech_core.streaming.frame_order import Outcome, admit, stable_prefix


def play(order: list[int], max_pending: int = 8) -> tuple[list[int], dict[int, int], int]:
    """Feed frames in `order` (frame payload = its seq); what was applied, in order, and what is left held."""
    next_seq, pending, applied = 0, {}, []
    for seq in order:
        admission = admit(next_seq, pending, seq, seq, max_pending)
        applied += admission.ready
        next_seq, pending = admission.next_seq, admission.pending
    return applied, pending, next_seq


def test_in_order_frames_are_applied_one_by_one():
    assert play([0, 1, 2, 3]) == ([0, 1, 2, 3], {}, 4)


def test_a_frame_ahead_of_a_gap_waits_and_the_gap_filler_releases_it():
    # Given frames 2 and 1 arrive before 0
    first = admit(0, {}, 2, "c", 8)
    assert first.outcome is Outcome.HOLD and first.ready == () and first.next_seq == 0
    second = admit(0, first.pending, 1, "b", 8)
    assert second.outcome is Outcome.HOLD
    # When 0 arrives, Then 0, 1 and 2 are applied together, in order
    third = admit(0, second.pending, 0, "a", 8)
    assert third.outcome is Outcome.APPLY and third.ready == ("a", "b", "c") and third.next_seq == 3
    assert third.pending == {}


@pytest.mark.parametrize("seq", [0, 1, 3])
def test_duplicates_are_ignored_whether_applied_or_held(seq: int):
    # frames 0 and 1 applied, 3 held
    admission = admit(2, {3: "held"}, seq, "again", 8)
    assert admission.outcome is Outcome.DUPLICATE and admission.ready == ()
    assert admission.pending == {3: "held"} and admission.next_seq == 2


def test_the_gap_is_bounded():
    pending = {seq: seq for seq in range(1, 5)}
    admission = admit(0, pending, 9, 9, max_pending=4)
    assert admission.outcome is Outcome.GAP_TOO_LONG and admission.pending == pending


def test_admit_does_not_change_the_mapping_it_is_given():
    pending = {1: "b"}
    admit(0, pending, 0, "a", 8)
    assert pending == {1: "b"}


def test_any_shuffle_with_duplicates_applies_every_frame_once_in_order():
    rng = random.Random(12)
    for _ in range(200):
        frames = list(range(20))
        order = frames + rng.sample(frames, 6)  # six frames sent twice
        # shuffle within windows of 4, as a connection's concurrent invocations would
        shuffled = []
        for start in range(0, len(order), 4):
            window = order[start : start + 4]
            rng.shuffle(window)
            shuffled += window
        applied, pending, next_seq = play(shuffled, max_pending=16)
        assert applied == frames and pending == {} and next_seq == 20


@pytest.mark.parametrize(
    ("previous", "current", "stable"),
    [
        ("", "go forward", ""),
        ("go", "go forward", "go"),
        ("go forward", "go forward ten", "go forward"),
        ("go for", "go forward ten", "go"),
        ("go forward ten", "go forward", "go forward"),
    ],
)
def test_stable_prefix_is_the_words_that_did_not_change(previous: str, current: str, stable: str):
    assert stable_prefix(previous, current) == stable
