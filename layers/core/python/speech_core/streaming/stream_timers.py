"""Stream timers: what a stream must do later although its client may send nothing more.

A Lambda function runs only when a message arrives, so a stream's deadlines are SQS messages sent with a delay
to the `stream-timers` queue, whose consumer (functions/stream/handle_stream_timer.py) carries them out
(speech_core.streaming.timer_service):

- `gap`: a frame is held ahead of a gap. MAX_GAP_WAIT_S later, if that frame is still missing, the client is
  sent `stream.gap` naming it, whether or not it sends anything more.
- `detached`: a connection dropped without `stop`. RESUME_WINDOW_S later, if nobody resumed the session, its
  Triton sequence is ended and the stream closed (the model would otherwise keep it until its own 60 s idle).

A timer is a reminder, never the state itself: its consumer re-reads the connection's row under its lock and
does nothing when the reason is gone. Delivered twice, or late, it changes nothing more.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from speech_core.contracts.streaming import MAX_GAP_WAIT_S, RESUME_WINDOW_S
from speech_core.environment_settings import EnvironmentSettings, setting
from speech_core.observability import tracer

#: SQS's longest message delay
MAX_DELAY_S = 900
#: a detached stream is closed this long after its drop: the resume window, and a margin for the clocks of the
#: invocations that compare against it
DETACHED_DELAY_S = math.ceil(RESUME_WINDOW_S) + 2
GAP_DELAY_S = math.ceil(MAX_GAP_WAIT_S)


class StreamTimer(BaseModel):
    """One timer message (the queue's body, JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["gap", "detached"]
    connection_id: str = Field(min_length=1, max_length=128)
    #: `gap`: the seq that was missing when the timer was set
    missing_seq: int | None = Field(default=None, ge=0)


class StreamTimerSettings(EnvironmentSettings):
    """Where a stream's timers go (written by CDK for the functions that set them)."""

    stream_timers_queue_url: str = setting(description="the stream-timers SQS queue's URL")


class TimerQueue(Protocol):
    def schedule(self, timer: StreamTimer, delay_s: float) -> None: ...


class SqsTimerQueue:
    """`SendMessage` with `DelaySeconds` (whole seconds, at most 900)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._queue_url = queue_url

    @tracer.capture_method(capture_response=False)
    def schedule(self, timer: StreamTimer, delay_s: float) -> None:
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=timer.model_dump_json(exclude_none=True),
            DelaySeconds=min(MAX_DELAY_S, max(0, math.ceil(delay_s))),
        )


@lru_cache(maxsize=4)
def get_timer_queue(queue_url: str) -> SqsTimerQueue:
    import boto3  # cold start: boto3's SQS client loads with the first timer, not at import

    return SqsTimerQueue(boto3.client("sqs"), queue_url)
