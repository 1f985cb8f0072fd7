"""Workflow step `transcribe-chunk` (GPU work queue): one chunk through Triton ASR, idempotent on (job, chunk)."""

from speech_core.batch.settings import BatchSettings, ConsumerSettings
from speech_core.batch.sqs_entry import task_entry
from speech_core.batch.transcribe import transcribe_chunk
from speech_core.settings import (
    DatabaseSettings,
    InferenceSettings,
    RegistrySettings,
    StorageSettings,
    declare_environment,
)

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(
    DatabaseSettings, InferenceSettings, RegistrySettings, StorageSettings, BatchSettings, ConsumerSettings
)
handler = task_entry(transcribe_chunk)
