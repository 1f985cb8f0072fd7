"""Frames applied in seq order exactly once: duplicates ignored, frames ahead of a gap held, the gap bounded."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from speech_core.streaming.frame_order import Outcome, Step, admit, admit_control, release, stable_prefix


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


@dataclass(frozen=True)
class Item:
    """A held item as the stream keeps it: an audio frame (`name`), or a control after frame `after_seq`."""

    name: str
    control: str | None = None
    after_seq: int | None = None


def frame(seq: int) -> Item:
    return Item(f"f{seq}")


def test_a_control_whose_frames_are_applied_or_that_names_none_is_applied_now():
    for after in (None, -1, 2):
        admission = admit_control(3, {5: frame(5)}, Item("stop", "stop", after), 8)
        assert admission.outcome is Outcome.APPLY and admission.pending == {5: frame(5)}


def test_a_control_ahead_of_a_gap_is_held_below_zero_in_arrival_order_and_bounded():
    finalize, stop = Item("finalize", "finalize", 4), Item("stop", "stop", 6)
    first = admit_control(3, {5: frame(5)}, finalize, 8)
    second = admit_control(3, first.pending, stop, 8)
    assert (first.outcome, second.outcome) == (Outcome.HOLD, Outcome.HOLD)
    assert second.pending == {5: frame(5), -1: finalize, -2: stop} and second.next_seq == 3
    assert admit_control(3, second.pending, Item("again", "stop", 6), 8).outcome is Outcome.DUPLICATE
    assert admit_control(3, second.pending, Item("later", "stop", 7), 3).outcome is Outcome.GAP_TOO_LONG


def test_release_carries_each_control_out_right_after_its_frame():
    # frames 3-7 ready; a finalize after 4, a stop and a finalize (which arrived later) after 6, a stop after 9
    pending = {
        -1: Item("stop6", "stop", 6),
        -2: Item("fin4", "finalize", 4),
        -3: Item("fin6", "finalize", 6),
        -4: Item("stop9", "stop", 9),
        9: frame(9),
    }
    ready = [frame(seq) for seq in range(3, 8)]
    steps, held = release(3, ready, pending)
    assert steps == [
        Step((frame(3), frame(4)), pending[-2]),
        Step((frame(5), frame(6)), pending[-3]),
        Step((), pending[-1]),  # `stop` after the finalize that follows the same frame
        Step((frame(7),)),
    ]
    assert held == {-4: pending[-4], 9: frame(9)}


def test_release_without_due_controls_is_one_step_of_every_frame():
    steps, held = release(0, [frame(0), frame(1)], {-1: Item("stop", "stop", 4)})
    assert steps == [Step((frame(0), frame(1)))] and held == {-1: Item("stop", "stop", 4)}


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
