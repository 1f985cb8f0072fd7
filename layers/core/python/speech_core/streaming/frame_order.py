"""Exactly-once, in-order audio: what to do with a frame numbered `seq` (pure; no I/O).

Frames are numbered 0, 1, 2, ... A frame below the next expected seq, or one already held, is a duplicate
and ignored. The expected one is applied together with every held frame that follows it without a gap. A
frame ahead of a gap is held until the missing ones arrive, up to `max_pending` frames; past that the stream
reports the gap (the client resends from `ack + 1`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    APPLY = "apply"
    HOLD = "hold"
    DUPLICATE = "duplicate"
    GAP_TOO_LONG = "gap_too_long"


@dataclass(frozen=True)
class Admission[T]:
    """The decision for one frame: the frames to apply now, in order, and the state after them."""

    outcome: Outcome
    ready: tuple[T, ...]
    pending: dict[int, T]
    next_seq: int


def admit[T](next_seq: int, pending: Mapping[int, T], seq: int, frame: T, max_pending: int) -> Admission[T]:
    """Where frame `seq` goes, given the next expected seq and the frames already held ahead of a gap."""
    held = dict(pending)
    if seq < next_seq or seq in held:
        return Admission(Outcome.DUPLICATE, (), held, next_seq)
    if seq > next_seq:
        if len(held) >= max_pending:
            return Admission(Outcome.GAP_TOO_LONG, (), held, next_seq)
        held[seq] = frame
        return Admission(Outcome.HOLD, (), held, next_seq)
    ready = [frame]
    cursor = seq + 1
    while cursor in held:
        ready.append(held.pop(cursor))
        cursor += 1
    return Admission(Outcome.APPLY, tuple(ready), held, cursor)


def stable_prefix(previous: str, current: str) -> str:
    """The words `current` shares, from the start, with the previous partial: what did not flicker."""
    shared: list[str] = []
    for old, new in zip(previous.split(), current.split(), strict=False):
        if old != new:
            break
        shared.append(new)
    return " ".join(shared)
