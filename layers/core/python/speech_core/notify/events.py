"""One EventBridge event per job state change, on the stage's bus."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Protocol, cast

from .job_event import EVENT_DETAIL_TYPE, EVENT_SOURCE, JobStateChange


class EventsClient(Protocol):
    """The one EventBridge call notify makes (a boto3 `events` client)."""

    def put_events(self, *, Entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]: ...


class EventNotPublished(RuntimeError):
    """EventBridge refused the event (its error code and message are in the text)."""


def job_event_entry(change: JobStateChange, bus_name: str) -> dict[str, Any]:
    """The PutEvents entry for a change: source `speech.jobs`, detail-type `Job State Change`."""
    return {
        "Source": EVENT_SOURCE,
        "DetailType": EVENT_DETAIL_TYPE,
        "Detail": json.dumps(change.detail(), separators=(",", ":")),
        "EventBusName": bus_name,
        "Time": change.occurred_at,
        "Resources": [],
    }


def publish_job_event(change: JobStateChange, *, events: EventsClient, bus_name: str = "default") -> None:
    """Puts the change's event on `bus_name`; raises `EventNotPublished` when EventBridge refuses it."""
    answer = events.put_events(Entries=[job_event_entry(change, bus_name)])
    if answer.get("FailedEntryCount", 0):
        entry = (answer.get("Entries") or [{}])[0]
        raise EventNotPublished(f"{entry.get('ErrorCode', 'unknown')}: {entry.get('ErrorMessage', '')}".strip())


@cache
def get_events_client() -> EventsClient:
    """The process's EventBridge client (boto3 loads on first use, not at import)."""
    import boto3  # cold start: only a function that notifies pays for it

    return cast(EventsClient, boto3.client("events"))
