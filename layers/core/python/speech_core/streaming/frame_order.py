"""Exactly-once, in-order audio: what to do with a frame numbered `seq` (pure; no I/O).

Frames are numbered 0, 1, 2, ... A frame below the next expected seq, or one already held, is a duplicate
and ignored. The expected one is applied together with every held frame that follows it without a gap. A
frame ahead of a gap is held until the missing ones arrive, up to `max_pending` frames; past that the stream
reports the gap (the client resends from `ack + 1`).

`finalize` and `stop` carry no seq of their own, so API Gateway's concurrent invocations could carry one out
before the frames sent ahead of it. With `lastSeq` they name the frame they follow: one whose frames are not
all applied yet is held with the frames (same bound), under a key below 0 (seqs start at 0), and carried out
right after that frame, by the invocation that applies it (`release`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


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


class HeldItem(Protocol):
    """What ordering reads of a held item: an audio frame has no `control`; a control, the frame it follows."""

    @property
    def control(self) -> str | None: ...

    @property
    def after_seq(self) -> int | None: ...


#: a `stop` ends the stream: after the same frame, it goes after any `finalize`
_LAST_CONTROL = "stop"


@dataclass(frozen=True)
class Step[T]:
    """Frames to apply, in seq order, then the held control that follows the last of them (if any)."""

    frames: tuple[T, ...]
    control: T | None = None


def admit_control[T: HeldItem](next_seq: int, pending: Mapping[int, T], control: T, max_pending: int) -> Admission[T]:
    """Where a `finalize`/`stop` sent after frame `control.after_seq` goes: APPLY now when every frame up to it is
    applied (or it names none); else HOLD it ahead of the gap, as a frame would be (GAP_TOO_LONG past
    `max_pending`). The same control after the same frame already held is a DUPLICATE (a redelivery)."""
    held = dict(pending)
    after = control.after_seq
    if after is None or after < next_seq:
        return Admission(Outcome.APPLY, (control,), held, next_seq)
    if any(key < 0 and (item.control, item.after_seq) == (control.control, after) for key, item in held.items()):
        return Admission(Outcome.DUPLICATE, (), held, next_seq)
    if len(held) >= max_pending:
        return Admission(Outcome.GAP_TOO_LONG, (), held, next_seq)
    held[control_key(held)] = control
    return Admission(Outcome.HOLD, (), held, next_seq)


def control_key(pending: Mapping[int, object]) -> int:
    """The key a newly held control takes: below every key in use (audio seqs start at 0), in arrival order."""
    return min([0, *pending]) - 1


def release[T: HeldItem](
    first_seq: int, ready: Sequence[T], pending: Mapping[int, T]
) -> tuple[list[Step[T]], dict[int, T]]:
    """The frames `admit` made ready (seqs `first_seq`, `first_seq + 1`, ...) cut into steps at each held control
    they make due, so a control is carried out right after its frame and before the next one; what stays held.

    Controls after the same frame keep their arrival order, except that `stop` goes last.
    """
    held = dict(pending)
    end = first_seq + len(ready)
    due = sorted(
        ((key, item) for key, item in held.items() if key < 0 and item.after_seq is not None and item.after_seq < end),
        key=lambda entry: (entry[1].after_seq, entry[1].control == _LAST_CONTROL, -entry[0]),
    )
    steps: list[Step[T]] = []
    cursor = first_seq
    for key, control in due:
        del held[key]
        assert control.after_seq is not None
        cut = max(cursor, control.after_seq + 1)
        steps.append(Step(tuple(ready[cursor - first_seq : cut - first_seq]), control))
        cursor = cut
    if cursor < end:
        steps.append(Step(tuple(ready[cursor - first_seq :])))
    return steps, held


def stable_prefix(previous: str, current: str) -> str:
    """The words `current` shares, from the start, with the previous partial: what did not flicker."""
    shared: list[str] = []
    for old, new in zip(previous.split(), current.split(), strict=False):
        if old != new:
            break
        shared.append(new)
    return " ".join(shared)
