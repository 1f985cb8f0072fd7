"""stream-timers queue -> a stream's deadline carried out (speech_core.streaming.stream_timers): `stream.gap` to a
client whose missing frame outlived the gap wait, or a dropped stream nobody resumed closed and its Triton
sequence ended. A record that fails comes back (partial batch failure), then goes to the queue's DLQ."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from speech_core.batch.settings import ConsumerSettings
from speech_core.batch.sqs_entry import sqs_batch_entry
from speech_core.settings import DatabaseSettings, InferenceSettings, RegistrySettings, declare_environment
from speech_core.streaming.dependencies import get_stream_deps
from speech_core.streaming.stream_settings import StreamingSettings
from speech_core.streaming.stream_timers import StreamTimerSettings
from speech_core.streaming.timer_service import parse_timer, run_timer

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(
    DatabaseSettings, RegistrySettings, InferenceSettings, StreamingSettings, StreamTimerSettings, ConsumerSettings
)


def _run(record: SQSRecord) -> None:
    timer = parse_timer(record.body)
    if timer is not None:
        run_timer(timer, get_stream_deps())


handler = sqs_batch_entry(_run)
