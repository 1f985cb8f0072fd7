"""Adapters that start and stop batch-job work: the job-start queue (SQS) and the job state machine (Step Functions).

May import: speech_core.contracts.jobs (the message shape), speech_core.settings, speech_core.observability, boto3
(loaded on first use). Each port is a small Protocol; unit tests pass fakes with the same shape.
"""
