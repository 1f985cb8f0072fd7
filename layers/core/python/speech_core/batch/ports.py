"""What the batch steps need from the outside, as small interfaces; `aws.py` implements them with boto3 and
unit tests pass fakes. Repositories are the database ports of `speech_core.db.ports`."""

from __future__ import annotations

from typing import Any, BinaryIO, Protocol

from pydantic import BaseModel, ConfigDict


class ObjectHead(BaseModel):
    """What HeadObject says about an object."""

    model_config = ConfigDict(frozen=True)

    size: int
    etag: str | None = None
    version_id: str | None = None
    metadata: dict[str, str] = {}


class BatchObjects(Protocol):
    """The S3 operations of the batch path."""

    def head(self, bucket: str, key: str) -> ObjectHead | None: ...
    def open(self, bucket: str, key: str, size: int) -> BinaryIO: ...
    def get(self, bucket: str, key: str, max_bytes: int) -> bytes | None: ...
    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None: ...


class WorkflowTasks(Protocol):
    """Answers to a waiting workflow task (Step Functions task tokens)."""

    def succeed(self, token: str, output: dict[str, Any]) -> None: ...
    def fail(self, token: str, error: str, cause: str) -> None: ...
    def heartbeat(self, token: str) -> None: ...


class WorkflowStarter(Protocol):
    def start(self, name: str, payload: dict[str, Any]) -> str:
        """Start an execution called `name`; its ARN (also when one of that name already exists)."""
        ...


class MessageDelay(Protocol):
    """Puts a received SQS message back after a delay (the backoff of a transient failure)."""

    def delay(self, event_source_arn: str, receipt_handle: str, seconds: int) -> None: ...
