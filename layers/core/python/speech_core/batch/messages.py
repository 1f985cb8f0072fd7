"""The messages of the batch path, as typed models (docs/jobs-contract.md, "The state machine and its messages").

Wire names are camelCase like the rest of the contract; Python names are snake_case. The job reference
(`$.job`, also the job-start queue's message) is the jobs contract's `JobRef`/`JobExecutionInput`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from speech_core.contracts.jobs import JobRef

#: the sample rate of every job's timeline
JOB_SAMPLE_RATE = 16_000


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict with the contract's camelCase names."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def usage_request_id(job: JobRef) -> str:
    """The request-log id a job attempt's usage is metered under (idempotent: metered once per attempt)."""
    return f"job-{job.job_id}-a{job.attempt}"


class ChunkItem(_Wire):
    """One chunk on the job's 16 kHz timeline (an item of `$.prepared.chunks`)."""

    index: int = Field(ge=0)
    start_sample: int = Field(ge=0)
    num_samples: int = Field(gt=0)

    @property
    def start_s(self) -> float:
        return self.start_sample / JOB_SAMPLE_RATE


class Prepared(_Wire):
    """What `prepare` answers (`$.prepared`).

    `itemsKey` is a JSON array of the chunk items in the audio bucket, always written: the Distributed Map reads
    its items from it. `chunks` holds the same items in the execution's state for the inline Map, left out when
    there are more than `BATCH_INLINE_MAP_MAX_CHUNKS` (the state's 256 KB payload and the execution's 25,000
    history events bound an inline Map); the state machine's Choice runs the Distributed Map then, and whenever
    `chunkCount` reaches the stage's `workflow.distributed_map_min_chunks`."""

    chunks: list[ChunkItem] | None = None
    chunk_count: int = Field(ge=0)
    items_key: str
    total_samples: int = Field(ge=0)
    sample_rate: int = JOB_SAMPLE_RATE

    @property
    def audio_seconds(self) -> float:
        return self.total_samples / self.sample_rate


class Assembled(_Wire):
    """What `assemble` answers (`$.assembled`): result keys per format and the audio seconds billed."""

    outputs: dict[str, str]
    audio_seconds: float = Field(ge=0)


class StepError(BaseModel):
    """`$.error` as a Catch puts it: the error name and its cause."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    Error: str = "States.Runtime"  # noqa: N815 - the names Step Functions writes
    Cause: str | None = None  # noqa: N815


class StateInput(_Wire):
    """The execution's state as each step sees it (the results of earlier steps kept beside the job)."""

    job: JobRef
    prepared: Prepared | None = None
    assembled: Assembled | None = None
    error: StepError | None = None


class ChunkInput(_Wire):
    """A Map iteration's input: the job and one chunk."""

    job: JobRef
    chunk: ChunkItem


class TaskMessage(_Wire):
    """What a workflow Task puts on its step queue: `{"step", "taskToken", "input"}`."""

    step: str
    task_token: str = Field(min_length=1)
    input: dict[str, Any]


class ChunkAnswer(_Wire):
    """What `transcribe-chunk` answers: the index only (the text stays in the database)."""

    index: int
