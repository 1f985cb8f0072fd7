"""The object-store port and its S3 implementation.

boto3 honours AWS_ENDPOINT_URL, which the local runtime sets to LocalStack, so the same code runs both ways.
Reads and writes are traced without their bodies (audio and text a tenant sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from speech_core.observability import tracer


class ObjectTooLarge(Exception):  # noqa: N818 - a condition, mapped to audio.too_large by the caller
    def __init__(self, size: int) -> None:
        super().__init__(f"object is {size} bytes")
        self.size = size


@dataclass(frozen=True)
class ObjectInfo:
    """What a HEAD tells about an object."""

    size: int
    content_type: str | None = None


class ObjectStore(Protocol):
    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None: ...
    def get(self, bucket: str, key: str, max_bytes: int) -> bytes | None: ...
    def presigned_get_url(self, bucket: str, key: str, expires_s: int) -> str: ...
    def presigned_put_url(self, bucket: str, key: str, content_type: str, expires_s: int) -> str: ...


class ObjectLifecycle(Protocol):
    """What the jobs API needs beyond reads and writes: whether an object is there, and deleting."""

    def head(self, bucket: str, key: str) -> ObjectInfo | None: ...
    def delete(self, bucket: str, key: str) -> None: ...
    def delete_prefix(self, bucket: str, prefix: str) -> int: ...


def _missing(error: Exception) -> bool:
    return getattr(error, "response", {}).get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


class S3ObjectStore:
    def __init__(self, client: Any) -> None:
        self._s3 = client

    @tracer.capture_method(capture_response=False)
    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    @tracer.capture_method(capture_response=False)
    def get(self, bucket: str, key: str, max_bytes: int) -> bytes | None:
        """The object's bytes; None when it does not exist; ObjectTooLarge past `max_bytes` (checked first)."""
        from botocore.exceptions import ClientError  # cold start: botocore is loaded with the client, not at import

        try:
            size = self._s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
        except ClientError as error:
            if _missing(error):
                return None
            raise
        if size > max_bytes:
            raise ObjectTooLarge(size)
        return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    @tracer.capture_method(capture_response=False)
    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        """Size and content type of an object; None when it does not exist."""
        from botocore.exceptions import ClientError  # cold start: botocore is loaded with the client, not at import

        try:
            head = self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if _missing(error):
                return None
            raise
        return ObjectInfo(size=int(head["ContentLength"]), content_type=head.get("ContentType"))

    @tracer.capture_method(capture_response=False)
    def delete(self, bucket: str, key: str) -> None:
        """Delete one object (deleting an absent one is not an error in S3)."""
        self._s3.delete_object(Bucket=bucket, Key=key)

    @tracer.capture_method(capture_response=False)
    def delete_prefix(self, bucket: str, prefix: str) -> int:
        """Delete every object under `prefix` (1000 per request); returns how many were deleted."""
        if not prefix.endswith("/"):
            raise ValueError("delete_prefix takes a folder-like prefix ending in '/'")
        deleted = 0
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self._s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                deleted += len(keys)
        return deleted

    def presigned_get_url(self, bucket: str, key: str, expires_s: int) -> str:
        return self._s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_s)

    def presigned_put_url(self, bucket: str, key: str, content_type: str, expires_s: int) -> str:
        return self._s3.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key, "ContentType": content_type}, ExpiresIn=expires_s
        )


@lru_cache(maxsize=1)
def get_object_store() -> S3ObjectStore:
    import boto3  # cold start: only functions that touch S3 pay for boto3, on first use

    return S3ObjectStore(boto3.client("s3"))
