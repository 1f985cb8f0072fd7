"""S3-drop: an object created under `incoming/<tenant>/…` of the ingest bucket becomes a job of that tenant.

Events come through the s3-events queue, one S3 notification per message. Idempotent on the object version:
the job's idempotency key is derived from bucket, key and versionId (or ETag when the bucket is unversioned),
so duplicate or repeated events for the same object make one job. S3's `s3:TestEvent` (sent when the
notification is configured) is acknowledged and ignored, as are sidecars (`<key>.json`) and folder markers.

The job's language, first found wins: the object's metadata `language` (`x-amz-meta-language` on upload),
then a sidecar `<key>.json` holding `{"language": "hi"}` (upload it before the audio), then the tenant's
default (`tenants.default_language`, set with `speech-admin tenant-settings`), then the platform's default
(`BATCH_DEFAULT_LANGUAGE`, "en"). A tenant named in the key that does not exist (or is inactive) fails
the message, which SQS retries and then moves to the s3-events DLQ, logged each time: never dropped silently.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from speech_core.batch.deps import BatchDeps
from speech_core.batch.options import default_options
from speech_core.contracts.jobs import JobExecutionInput, JobRef
from speech_core.db.records import JobRecord, JobSource, JobState, NewJob
from speech_core.observability import logger, tracer

INCOMING_PREFIX = "incoming/"
SIDECAR_SUFFIX = ".json"
#: bytes of a sidecar read at most (it holds a few options)
_MAX_SIDECAR_BYTES = 64 * 1024


class UnknownTenant(Exception):  # noqa: N818 - the message goes to the DLQ with this reason
    """The key names a tenant the platform does not know (or an inactive one)."""


class _S3Object(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    key: str
    size: int | None = None
    e_tag: str | None = Field(default=None, alias="eTag")
    version_id: str | None = Field(default=None, alias="versionId")


class _S3Bucket(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str


class _S3Entity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    bucket: _S3Bucket
    object: _S3Object


class S3EventRecord(BaseModel):
    """One record of an S3 event notification (the fields ingest reads)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    event_name: str = Field(alias="eventName")
    s3: _S3Entity

    @property
    def bucket(self) -> str:
        return self.s3.bucket.name

    @property
    def key(self) -> str:
        return unquote_plus(self.s3.object.key)  # keys arrive URL-encoded, spaces as '+'


class S3Notification(BaseModel):
    """An S3 event notification, or S3's test event (`Event: s3:TestEvent`, no records)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    records: list[S3EventRecord] = Field(default_factory=list, alias="Records")
    event: str | None = Field(default=None, alias="Event")


def idempotency_key(bucket: str, key: str, version: str) -> str:
    """`s3:<sha256 of bucket/key@version>`: one job per object version, whatever the key's length."""
    digest = hashlib.sha256(f"{bucket}/{key}@{version}".encode()).hexdigest()
    return f"s3:{digest}"


def tenant_name_of(key: str) -> str | None:
    """`incoming/<tenant>/<name...>` -> tenant; None for anything else (a folder marker, another prefix)."""
    if not key.startswith(INCOMING_PREFIX):
        return None
    parts = key[len(INCOMING_PREFIX) :].split("/", 1)
    if len(parts) != 2 or not parts[0] or not parts[1] or parts[1].endswith("/"):
        return None
    return parts[0]


def _sidecar_language(deps: BatchDeps, bucket: str, key: str) -> str | None:
    data = deps.objects.get(bucket, key + SIDECAR_SUFFIX, _MAX_SIDECAR_BYTES)
    if data is None:
        return None
    try:
        value = json.loads(data).get("language")
    except (ValueError, AttributeError):
        logger.warning("sidecar is not a JSON object: ignored", extra={"key": key + SIDECAR_SUFFIX})
        return None
    return str(value) if value else None


def _ingest_record(record: S3EventRecord, deps: BatchDeps) -> JobRecord | None:
    bucket, key = record.bucket, record.key
    if not record.event_name.startswith("ObjectCreated"):
        logger.info("not an ObjectCreated event: ignored", extra={"event": record.event_name, "key": key})
        return None
    tenant_name = tenant_name_of(key)
    if tenant_name is None or key.endswith(SIDECAR_SUFFIX):
        logger.info("not a dropped recording: ignored", extra={"key": key})
        return None
    tenant = deps.tenants.get_by_name(tenant_name)
    if tenant is None or not tenant.active:
        logger.error("dropped file names an unknown tenant", extra={"tenant": tenant_name, "key": key})
        raise UnknownTenant(f"{key}: no active tenant named {tenant_name!r}")
    logger.append_keys(tenant_id=str(tenant.id))
    head = deps.objects.head(bucket, key)
    if head is None:
        logger.warning("dropped file is gone (deleted since the event): ignored", extra={"key": key})
        return None
    language = (
        head.metadata.get("language")
        or _sidecar_language(deps, bucket, key)
        or tenant.default_language
        or deps.settings.default_language
    )
    version = record.s3.object.version_id or head.version_id or record.s3.object.e_tag or head.etag or ""
    try:
        options = default_options(language)
    except ValidationError as error:
        logger.error("dropped file asks for an invalid language", extra={"key": key, "language": language})
        raise ValueError(f"{key}: language {language!r} is not a language code") from error
    job, created = deps.jobs.create(
        NewJob(
            tenant_id=tenant.id,
            idempotency_key=idempotency_key(bucket, key, version),
            input_bucket=bucket,
            input_key=key,
            source_language=language,
            options=options.to_stored(),
            source=JobSource.S3,
        )
    )
    logger.info("job from S3-drop", extra={"job_id": str(job.id), "new_job": created, "key": key})
    if job.state is JobState.QUEUED:
        # sent again for a job still queued: a start lost after the row was written is recovered by the
        # redelivered event, and a repeated start is harmless (one execution per attempt)
        ref = JobRef(job_id=job.id, tenant_id=tenant.id, attempt=job.attempt)
        deps.start_queue.send(JobExecutionInput(job=ref))
    return job


@tracer.capture_method(capture_response=False)
def ingest_s3_event(body: str, deps: BatchDeps) -> list[JobRecord]:
    """The jobs this message's S3 notification made (or found, for a repeated event)."""
    notification = S3Notification.model_validate_json(body)
    if notification.event == "s3:TestEvent":
        logger.info("S3 test event acknowledged")
        return []
    jobs: list[JobRecord] = []
    for record in notification.records:
        job = _ingest_record(record, deps)
        if job is not None:
            jobs.append(job)
    return jobs
