"""boto3 implementations of the batch ports: S3 (with a seekable ranged reader), Step Functions, SQS.

boto3 honours AWS_ENDPOINT_URL, which the local runtime sets to LocalStack, so the same code runs both ways.
Nothing here records a body (audio and transcripts are what a tenant sent).
"""

from __future__ import annotations

import io
import json
from typing import Any, BinaryIO

from speech_core.batch.ports import ObjectHead
from speech_core.observability import tracer

#: bytes fetched per ranged GET: few requests for a 2 GB file, little memory held
READ_AHEAD_BYTES = 8 * 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


class RangedObjectReader(io.RawIOBase):
    """A read-only, seekable file over an S3 object: each read is a ranged GET (buffered by the caller)."""

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        super().__init__()
        self._s3, self._bucket, self._key, self._size = client, bucket, key, size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._position >= self._size or not len(view):
            return 0
        end = min(self._position + len(view), self._size) - 1
        body = self._s3.get_object(Bucket=self._bucket, Key=self._key, Range=f"bytes={self._position}-{end}")["Body"]
        data = body.read()
        view[: len(data)] = data
        self._position += len(data)
        return len(data)


class S3BatchObjects:
    def __init__(self, client: Any) -> None:
        self._s3 = client

    @tracer.capture_method(capture_response=False)
    def head(self, bucket: str, key: str) -> ObjectHead | None:
        try:
            head = self._s3.head_object(Bucket=bucket, Key=key)
        except Exception as error:
            if _error_code(error) in _MISSING:
                return None
            raise
        return ObjectHead(
            size=int(head["ContentLength"]),
            etag=str(head.get("ETag", "")).strip('"') or None,
            version_id=head.get("VersionId") if head.get("VersionId") not in (None, "null") else None,
            metadata={str(k).lower(): str(v) for k, v in (head.get("Metadata") or {}).items()},
        )

    def open(self, bucket: str, key: str, size: int) -> BinaryIO:
        reader = RangedObjectReader(self._s3, bucket, key, size)
        return io.BufferedReader(reader, buffer_size=READ_AHEAD_BYTES)

    @tracer.capture_method(capture_response=False)
    def get(self, bucket: str, key: str, max_bytes: int) -> bytes | None:
        head = self.head(bucket, key)
        if head is None or head.size > max_bytes:
            return None
        return bytes(self._s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    @tracer.capture_method(capture_response=False)
    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)


class StepFunctionsTasks:
    """Task-token answers."""

    def __init__(self, client: Any) -> None:
        self._sfn = client

    def succeed(self, token: str, output: dict[str, Any]) -> None:
        self._sfn.send_task_success(taskToken=token, output=json.dumps(output))

    def fail(self, token: str, error: str, cause: str) -> None:
        self._sfn.send_task_failure(taskToken=token, error=error[:256], cause=cause[:32768])

    def heartbeat(self, token: str) -> None:
        self._sfn.send_task_heartbeat(taskToken=token)


class StepFunctionsStarter:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._sfn = client
        self._arn = state_machine_arn

    def start(self, name: str, payload: dict[str, Any]) -> str:
        try:
            return str(
                self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))[
                    "executionArn"
                ]
            )
        except Exception as error:
            if _error_code(error) != "ExecutionAlreadyExists":
                raise
            # arn:<p>:states:<region>:<account>:stateMachine:<machine> -> ...:execution:<machine>:<name>
            return self._arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


class SqsMessageDelay:
    """ChangeMessageVisibility on the queue a record came from (its event source ARN names it)."""

    def __init__(self, client: Any) -> None:
        self._sqs = client
        self._urls: dict[str, str] = {}

    def delay(self, event_source_arn: str, receipt_handle: str, seconds: int) -> None:
        url = self._urls.get(event_source_arn)
        if url is None:
            _, _, _, _, account, name = event_source_arn.split(":", 5)
            url = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            self._urls[event_source_arn] = url
        self._sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)
