"""Workflow step `prepare` (prepare-work queue): stream-decode, 16 kHz mono, VAD chunks -> S3 and chunk rows."""

from speech_core.batch.prepare import prepare_audio
from speech_core.batch.settings import BatchSettings, ConsumerSettings
from speech_core.batch.sqs_entry import task_entry
from speech_core.settings import (
    DatabaseSettings,
    InferenceSettings,
    JobLimits,
    RegistrySettings,
    StorageSettings,
    declare_environment,
)

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(
    DatabaseSettings, InferenceSettings, RegistrySettings, StorageSettings, JobLimits, BatchSettings, ConsumerSettings
)
handler = task_entry(lambda message, delivery, deps: prepare_audio(message, deps))
