"""The object-store port and its S3 implementation.

boto3 honours AWS_ENDPOINT_URL, which the local runtime sets to LocalStack, so the same code runs both ways.
Reads and writes are traced without their bodies (audio and text a tenant sent).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol

from speech_core.observability import tracer


class ObjectTooLarge(Exception):  # noqa: N818 - a condition, mapped to audio.too_large by the caller
    def __init__(self, size: int) -> None:
        super().__init__(f"object is {size} bytes")
        self.size = size


class ObjectStore(Protocol):
    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None: ...
    def get(self, bucket: str, key: str, max_bytes: int) -> bytes | None: ...
    def presigned_get_url(self, bucket: str, key: str, expires_s: int) -> str: ...
    def presigned_put_url(self, bucket: str, key: str, content_type: str, expires_s: int) -> str: ...


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
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        if size > max_bytes:
            raise ObjectTooLarge(size)
        return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()

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
