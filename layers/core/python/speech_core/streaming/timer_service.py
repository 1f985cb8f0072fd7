"""What a stream timer does when it comes due (speech_core.streaming.stream_timers has why they exist).

Each timer re-reads its connection's row under the row lock, as a client message does, and acts only if its
reason still holds: the frame is still missing, the stream is still detached. Otherwise it does nothing, so a
timer delivered twice or after the client moved on is harmless.
"""

from __future__ import annotations

from pydantic import ValidationError

from speech_core.contracts.streaming import MAX_GAP_WAIT_S, RESUME_WINDOW_S, ErrorFrame
from speech_core.db.records import ConnectionState
from speech_core.observability import logger
from speech_core.streaming import stream_service
from speech_core.streaming.ports import StreamDeps
from speech_core.streaming.stream_timers import StreamTimer
from speech_core.streaming.utterance_finals import sweep_finals


def parse_timer(body: str) -> StreamTimer | None:
    """The queue message as a timer; None for a body that is not one (logged, dropped: retrying cannot fix it)."""
    try:
        return StreamTimer.model_validate_json(body)
    except ValidationError as error:
        logger.error("not a stream timer; dropped", extra={"errors": error.errors(include_input=False)})
        return None


def run_timer(timer: StreamTimer, deps: StreamDeps) -> None:
    """Carry out one timer. An exception (the database or @connections down) leaves the message on the queue:
    SQS delivers it again, then moves it to the queue's DLQ."""
    if timer.kind == "gap":
        report_gap(timer, deps)
    else:
        close_detached(timer, deps)


def report_gap(timer: StreamTimer, deps: StreamDeps) -> None:
    """`stream.gap` to a client whose frame `missing_seq` is still missing once the held frames waited
    MAX_GAP_WAIT_S. A gap that moved on is a newer timer's; one not old enough yet (a clock ahead) comes back."""
    with deps.store.locked(timer.connection_id) as state:
        if (
            state is None
            or state.state is not ConnectionState.STREAMING
            or state.usage_recorded_at is not None
            or not state.pending_frames
            or state.next_seq != timer.missing_seq
        ):
            return
        now = stream_service.clock()
        waited = stream_service.gap_wait_s(state, now)
        if waited < MAX_GAP_WAIT_S:
            deps.timers.schedule(timer, MAX_GAP_WAIT_S - waited)
            return
        error = stream_service.gap_error(state, now)
        frame = ErrorFrame(ack=state.ack, code=error.code.value, message=error.message, details=error.details)
    logger.info("gap reported", extra={"connection_id": timer.connection_id, "missing_seq": timer.missing_seq})
    deps.push.send(timer.connection_id, [frame.model_dump_json(by_alias=True, exclude_none=True)])


def close_detached(timer: StreamTimer, deps: StreamDeps) -> None:
    """A stream whose connection dropped and that nobody resumed within RESUME_WINDOW_S: its open utterance's
    Triton sequence ends (no final: nobody is there to get it) and the connection is closed (a resume is
    refused from now on). Its usage was recorded at the drop. Then the finals nobody can fetch are swept."""
    with deps.store.locked(timer.connection_id) as state:
        if state is None or state.state is not ConnectionState.DETACHED:
            return  # resumed on another connection (this one is CLOSED then), or closed already
        dropped_at = state.disconnected_at or state.last_seen_at
        if dropped_at is not None:
            left_s = RESUME_WINDOW_S - (stream_service.clock() - dropped_at.timestamp())
            if left_s > 0:  # the window is still open (a clock behind): come back when it closes
                deps.timers.schedule(timer, left_s)
                return
        stream_service.end_sequence(state, deps)
        state.state = ConnectionState.CLOSED
    logger.info("detached stream closed", extra={"connection_id": timer.connection_id})
    sweep_finals(deps)
