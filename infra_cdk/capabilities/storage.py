"""Storage: the platform's buckets, all encrypted, TLS-only, private, with lifecycle retention per stage.

- ingest:  S3-drop uploads under incoming/<tenant>/ (their ObjectCreated events go to the s3-events queue)
- audio:   audit copies of sync requests and the 16 kHz chunks of batch jobs
- results: transcripts (JSON/TXT/SRT/VTT) under results/<tenant>/
- models:  the Triton model repository the GPU service loads
- access logs: S3 server access logs of the four above

The S3-drop notification is written on the bucket itself (NotificationConfiguration on the CfnBucket),
never via `add_event_notification`, which deploys a Lambda-backed custom resource that LocalStack cannot run.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk import names
from infra_cdk.config import StageConfig
from infra_cdk.nag_acknowledgments import acknowledge


class Storage(Construct):
    """The buckets and the S3-drop notification to the s3-events queue."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, s3_events_queue: sqs.Queue) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        cfg = config.storage
        prefix = names.resource_prefix(config.stage)

        self.access_logs = self._bucket(
            names.BUCKET_ACCESS_LOGS,
            versioned=False,
            expire_days=cfg.access_log_retention_days,
            access_logs=None,
        )
        acknowledge(
            self.access_logs, "AwsSolutions-S1", "This is the access-log bucket; logging it into itself would loop."
        )
        # The ingest bucket's name is computed (not generated) so the queue policy can name the bucket ARN
        # without a reference cycle: the bucket must wait for that policy before CloudFormation validates
        # its notification destination.
        ingest_name = f"{prefix}-ingest-{Aws.ACCOUNT_ID}-{Aws.REGION}"
        self.ingest = self._bucket(
            names.BUCKET_INGEST,
            versioned=False,
            expire_days=cfg.incoming_retention_days,
            access_logs=self.access_logs,
            bucket_name=ingest_name,
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.PUT],
                    allowed_origins=["*"],
                    allowed_headers=["*"],
                    max_age=3000,
                )
            ],
        )
        self.audio = self._bucket(
            names.BUCKET_AUDIO,
            versioned=False,
            expire_days=cfg.audio_retention_days,
            access_logs=self.access_logs,
            # batch chunks are working copies: they go sooner than the audit copies beside them
            prefix_expiry={names.CHUNKS_PREFIX: min(cfg.chunk_retention_days, cfg.audio_retention_days)},
        )
        self.results = self._bucket(
            names.BUCKET_RESULTS,
            versioned=cfg.versioned,
            expire_days=cfg.results_retention_days,
            access_logs=self.access_logs,
        )
        self.models = self._bucket(
            names.BUCKET_MODELS, versioned=cfg.versioned, expire_days=None, access_logs=self.access_logs
        )

        self._notify_incoming(ingest_name, s3_events_queue)

    def _bucket(
        self,
        construct_id: str,
        *,
        versioned: bool,
        expire_days: int | None,
        access_logs: s3.IBucket | None,
        bucket_name: str | None = None,
        cors: list[s3.CorsRule] | None = None,
        prefix_expiry: dict[str, int] | None = None,
    ) -> s3.Bucket:
        cfg = self._config.storage
        rules = [s3.LifecycleRule(id="abort-multipart", abort_incomplete_multipart_upload_after=Duration.days(1))]
        if expire_days is not None:
            rules.append(s3.LifecycleRule(id="expire", expiration=Duration.days(expire_days)))
        for prefix, days in (prefix_expiry or {}).items():
            rule_id = f"expire-{prefix.strip('/')}"
            rules.append(s3.LifecycleRule(id=rule_id, prefix=prefix, expiration=Duration.days(days)))
        if versioned:
            rules.append(s3.LifecycleRule(id="expire-noncurrent", noncurrent_version_expiration=Duration.days(30)))
        return s3.Bucket(
            self,
            construct_id,
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=versioned,
            lifecycle_rules=rules,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=f"{construct_id}/" if access_logs is not None else None,
            cors=cors,
            removal_policy=RemovalPolicy.RETAIN if cfg.retain_on_delete else RemovalPolicy.DESTROY,
            auto_delete_objects=cfg.auto_delete_objects,
        )

    def _notify_incoming(self, ingest_name: str, queue: sqs.Queue) -> None:
        """ObjectCreated under incoming/ -> s3-events queue, declared on the bucket itself."""
        ingest_arn = f"arn:{Aws.PARTITION}:s3:::{ingest_name}"
        policy_result = queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowIngestBucketNotifications",
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={
                    "ArnEquals": {"aws:SourceArn": ingest_arn},
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                },
            )
        )
        cfn_bucket = self.ingest.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            queue_configurations=[
                s3.CfnBucket.QueueConfigurationProperty(
                    event="s3:ObjectCreated:*",
                    queue=queue.queue_arn,
                    filter=s3.CfnBucket.NotificationFilterProperty(
                        s3_key=s3.CfnBucket.S3KeyFilterProperty(
                            rules=[s3.CfnBucket.FilterRuleProperty(name="prefix", value=names.INCOMING_PREFIX)]
                        )
                    ),
                )
            ]
        )
        if policy_result.policy_dependable is not None:
            self.ingest.node.add_dependency(policy_result.policy_dependable)

    @property
    def all_buckets(self) -> list[s3.Bucket]:
        """Every bucket of the platform (tests and alarms iterate over them)."""
        return [self.ingest, self.audio, self.results, self.models, self.access_logs]
