"""Workflow step `assemble` (assemble-work queue): chunks merged on the global timeline -> results, usage."""

from speech_core.batch.assemble import assemble_transcript
from speech_core.batch.settings import BatchSettings, ConsumerSettings
from speech_core.batch.sqs_entry import task_entry
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
handler = task_entry(lambda message, delivery, deps: assemble_transcript(message, deps))
