"""Workflow: the Step Functions state machine for long audio (S3-drop and POST /v1/jobs).

    Prepare ─> ChooseMap ─┬─> Map(TranscribeChunk) ────────────────────┬─> Assemble ─> RecordSucceeded
                          └─> DistributedMap(TranscribeChunkItem) ─────┘
        └──────────────────────────┴───────────────────────────────────┴──── Catch ─> RecordFailed ─> Failed

The inline Map takes its items from the state (`$.prepared.chunks`); a job with `workflow.distributed_map_min_chunks`
chunks or more (or one whose chunks `prepare` left out of the state: more than its inline limit) runs the
Distributed Map, whose ItemReader reads the same items from the JSON array `prepare` wrote to the audio bucket
(`$.prepared.itemsKey`), each item a child execution, so neither the 256 KB state nor the 25,000-event history
bounds a job's length. The Distributed Map tolerates failed items: a chunk that keeps failing leaves no
transcript, and Assemble fails the job naming it (with the error its worker recorded), as the inline Map does.

Every Task sends a message with a task token to the step's SQS queue (`sqs:sendMessage.waitForTaskToken`)
and waits for the queue's consumer to answer SendTaskSuccess/Failure. The message is
`{"step": <name>, "taskToken": ..., "input": <state input>}`; the long-audio issue owns the payloads.
"""

from __future__ import annotations

from typing import cast

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra_cdk import names
from infra_cdk.capabilities.queues import Queues
from infra_cdk.capabilities.retention import log_retention
from infra_cdk.config import StageConfig
from infra_cdk.nag_acknowledgments import acknowledge

#: the error a transcribe-chunk worker fails its task with (speech_core.batch.transcribe.CHUNK_FAILED)
CHUNK_FAILED = "ChunkFailed"
#: the Distributed Map's ToleratedFailureCount: more than any job has chunks (4 h at <= 30 s each is ~500-1000)
TOLERATE_EVERY_CHUNK = 1_000_000


class Workflow(Construct):
    """The job state machine and its log group."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, queues: Queues, chunks_bucket: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._queues = queues
        self._chunks_bucket = chunks_bucket
        definition = self._definition()
        self.log_group = self._log_group()
        self.state_machine = self._state_machine(definition)
        self._acknowledge_findings()

    def _step(
        self,
        task_id: str,
        queue: str,
        step_name: str,
        result_path: str | None,
        timeout_s: int,
        heartbeat_s: int | None = None,
    ) -> tasks.SqsSendMessage:
        """A Task that sends the step's message with a task token to `queue` and waits for the answer (with a
        heartbeat deadline when `heartbeat_s` is given: the worker calls SendTaskHeartbeat while it works)."""
        return tasks.SqsSendMessage(
            self,
            task_id,
            queue=self._queues.queue(queue),
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            message_body=sfn.TaskInput.from_object(
                {"step": step_name, "taskToken": sfn.JsonPath.task_token, "input": sfn.JsonPath.entire_payload}
            ),
            # Keep the state input and put the worker's answer beside it, so each step sees the job.
            result_path=result_path,
            task_timeout=sfn.Timeout.duration(Duration.seconds(timeout_s)),
            heartbeat_timeout=sfn.Timeout.duration(Duration.seconds(heartbeat_s)) if heartbeat_s else None,
        )

    def _definition(self) -> sfn.Chain:
        """Prepare -> Map(TranscribeChunk) -> Assemble -> RecordSucceeded, every failure to RecordFailed."""
        cfg = self._config.workflow
        beat = cfg.step_heartbeat_s
        prepare = self._step("Prepare", names.QUEUE_PREPARE, "prepare", "$.prepared", cfg.step_timeout_s, beat)
        # a worker that died (or missed its heartbeats) gets one more try; prepare reuses chunk rows it finished
        prepare.add_retry(errors=["States.Timeout", "States.HeartbeatTimeout"], max_attempts=1)
        inline, distributed = self._transcribe_chunks(), self._transcribe_chunks_distributed()
        choose = (
            sfn.Choice(self, "ChooseMap", comment="the inline Map for a short job, the Distributed Map for a long one")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.prepared.chunks"),
                    sfn.Condition.number_less_than("$.prepared.chunkCount", cfg.distributed_map_min_chunks),
                ),
                inline,
            )
            .otherwise(distributed)
        )
        assemble = self._step("Assemble", names.QUEUE_ASSEMBLE, "assemble", "$.assembled", cfg.step_timeout_s, beat)
        assemble.add_retry(errors=["States.Timeout", "States.HeartbeatTimeout"], max_attempts=1)
        record_succeeded = self._step(
            "RecordSucceeded", names.QUEUE_JOB_STATUS, "record-succeeded", "$.recorded", cfg.step_timeout_s
        )
        record_failed = self._step(
            "RecordFailed", names.QUEUE_JOB_STATUS, "record-failed", "$.recorded", cfg.step_timeout_s
        )
        record_failed.next(sfn.Fail(self, "Failed", cause="job failed", error="JobFailed"))
        for task in (prepare, inline, distributed, assemble):
            task.add_catch(record_failed, errors=["States.ALL"], result_path="$.error")
        inline.next(assemble)
        distributed.next(assemble)
        assemble.next(record_succeeded).next(sfn.Succeed(self, "Succeeded"))
        return sfn.Chain.start(prepare).next(choose)

    def _transcribe_task(self, task_id: str) -> tasks.SqsSendMessage:
        """One chunk's TranscribeChunk task (GPU work queue), retried with backoff."""
        cfg = self._config.workflow
        transcribe = self._step(task_id, names.QUEUE_GPU_WORK, "transcribe-chunk", None, cfg.chunk_timeout_s)
        transcribe.add_retry(
            # ChunkFailed named as well: not every Step Functions implementation reads States.TaskFailed as the
            # wildcard AWS documents (LocalStack matches it literally)
            errors=["States.Timeout", "States.TaskFailed", CHUNK_FAILED],
            max_attempts=3,
            interval=Duration.seconds(5),
            backoff_rate=2,
        )
        return transcribe

    def _transcribe_chunks(self) -> sfn.Map:
        """The inline Map over the prepared chunks in the state, one TranscribeChunk task per chunk."""
        chunks = sfn.Map(
            self,
            "TranscribeChunks",
            items_path="$.prepared.chunks",
            max_concurrency=self._config.workflow.map_max_concurrency,
            item_selector={"job.$": "$.job", "chunk.$": "$$.Map.Item.Value"},
            result_path="$.transcripts",
        )
        chunks.item_processor(self._transcribe_task("TranscribeChunk"))
        return chunks

    def _transcribe_chunks_distributed(self) -> sfn.DistributedMap:
        """The Distributed Map over the items file in the audio bucket: each chunk a standard child execution
        (a task token needs a standard workflow), at the same concurrency; results stay in the database, so
        nothing comes back into the state."""
        chunks = sfn.DistributedMap(
            self,
            "TranscribeChunksDistributed",
            item_reader=sfn.S3JsonItemReader(
                bucket=self._chunks_bucket, key=sfn.JsonPath.string_at("$.prepared.itemsKey")
            ),
            max_concurrency=self._config.workflow.map_max_concurrency,
            item_selector={"job.$": "$.job", "chunk.$": "$$.Map.Item.Value"},
            map_execution_type=sfn.StateMachineType.STANDARD,
            # a failed chunk fails its item, not the run: Assemble names it (ChunkFailed) for the job's error. A count
            # above any job's chunks rather than ToleratedFailurePercentage 100, whose integer LocalStack's ASL
            # parser refuses (it takes only a decimal number there)
            tolerated_failure_count=TOLERATE_EVERY_CHUNK,
            label="chunks",
            result_path=sfn.JsonPath.DISCARD,
        )
        chunks.item_processor(self._transcribe_task("TranscribeChunkItem"))
        return chunks

    def _log_group(self) -> logs.LogGroup:
        """The state machine's execution log group (vended-logs path)."""
        return logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/vendedlogs/states/{names.resource_prefix(self._config.stage)}-jobs",
            retention=log_retention(self._config.functions.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _state_machine(self, definition: sfn.IChainable) -> sfn.StateMachine:
        """The standard, traced job state machine, logging every event without execution data."""
        return sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=f"{names.resource_prefix(self._config.stage)}-jobs",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group,
                level=sfn.LogLevel.ALL,
                include_execution_data=False,  # no audio/keys in logs
            ),
            timeout=Duration.hours(24),
        )

    def _acknowledge_findings(self) -> None:
        """cdk-nag findings of the state machine, each with its reason."""
        acknowledge(
            self.state_machine.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray actions do not support "
            "resource-level permissions; AWS documents '*' for them.",
        )
        stack = Stack.of(self)
        bucket = stack.resolve(cast(CfnElement, self._chunks_bucket.node.default_child).logical_id)
        machine = stack.resolve(cast(CfnElement, self.state_machine.node.default_child).logical_id)
        acknowledge(
            self.state_machine,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<{bucket}>/*]",
            "The Distributed Map's ItemReader reads each job's items file, whose key the execution's state names "
            "(chunks/<tenant>/<job>/items.json); s3:GetObject only, on the audio bucket only.",
        )
        execution = (
            "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{machine}"}}]}}]}}'
        )
        for suffix in (":*", "/chunks:*"):
            acknowledge(
                self.state_machine,
                f"AwsSolutions-IAM5[Resource::{execution}{suffix}]",
                "The Distributed Map starts, describes and stops its own child executions and map runs, whose "
                "names Step Functions makes per run: this state machine's executions only (CDK's DistributedMap "
                "policy).",
            )
