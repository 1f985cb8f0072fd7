"""The batch path (issue 11, docs/jobs-contract.md): S3-drop ingest, start, and the workflow's steps.

    ingest      S3 event (s3-events queue) -> job row -> job-start queue           ingest.py
    start       job-start queue -> StartExecution (one per attempt)                 start.py
    prepare     stream-decode, 16 kHz mono, VAD chunks -> S3 + job_chunks rows      prepare.py
    transcribe  one chunk through Triton ASR, idempotent on (job, chunk)            transcribe.py
    assemble    chunks merged on the global timeline -> results, usage metered      assemble.py
    record      the job row final, then notifications                               record.py

Every workflow step is a task-token message (`messages.py`); `task_worker.py` answers the workflow and turns
transient failures into SQS redelivery with backoff. The steps see the outside only through `ports.py`;
`aws.py` (boto3) and the SQL repositories implement them, `deps.py` builds them from the environment.
"""
