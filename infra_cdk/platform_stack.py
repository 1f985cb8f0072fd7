"""The stack of one stage: composes the capabilities and publishes the outputs tests and the local runtime use.

One stack per stage keeps every resource in one template, which the local runtime plays as-is (no
cross-stack exports to resolve) and which stays well under CloudFormation's 500-resource limit.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags, triggers
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from infra_cdk import names
from infra_cdk.capabilities.console_hosting import ConsoleHosting
from infra_cdk.capabilities.database import Database
from infra_cdk.capabilities.functions import Functions, PlatformResources
from infra_cdk.capabilities.inference import Inference
from infra_cdk.capabilities.network import Network
from infra_cdk.capabilities.observability import Observability
from infra_cdk.capabilities.queues import Queues
from infra_cdk.capabilities.rest_api import RestApi
from infra_cdk.capabilities.storage import Storage
from infra_cdk.capabilities.webhook_signing import WebhookSigningKey
from infra_cdk.capabilities.websocket_api import WebSocketApi
from infra_cdk.capabilities.workflow import Workflow
from infra_cdk.config import StageConfig
from infra_cdk.function_catalog import FUNCTIONS, MIGRATION_FUNCTION_ID


class SpeechPlatformStack(Stack):
    """Every resource of one stage of the speech platform."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        require_built_layers: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self._tags()
        network = Network(self, names.NETWORK, config=config) if config.network.enabled else None
        vpc = network.vpc if network else None
        functions_sg = network.functions_security_group if network else None

        queues = Queues(self, names.QUEUES, config=config)
        storage = Storage(self, names.STORAGE, config=config, s3_events_queue=queues.queue(names.QUEUE_S3_EVENTS))
        workflow = Workflow(self, names.WORKFLOW, config=config, queues=queues, chunks_bucket=storage.audio)
        database, database_env = self._database(vpc, functions_sg)
        inference, triton_url = self._inference(vpc, functions_sg, storage, queues)
        # the stage's webhook signing key (AWS stages; the local stage signs with the development key)
        signing = (
            WebhookSigningKey(self, names.WEBHOOK_SIGNING, config=config) if config.notify.signing_secret else None
        )
        # the web console: S3 + CloudFront where hosted here; its origin is the one the API answers CORS for
        console = (
            ConsoleHosting(self, names.CONSOLE, config=config, access_logs=storage.access_logs)
            if config.console.hosted
            else None
        )
        console_origin = console.origin if console is not None else config.console.origin
        resources = _platform_resources(
            storage, queues, workflow, database, database_env, triton_url, signing, console_origin
        )
        self.functions = self._functions(resources, vpc, functions_sg, require_built_layers)
        rest_api = RestApi(
            self, names.REST_API, config=config, functions=self.functions.invoke_targets, cors_origin=console_origin
        )
        websocket_api = self._websocket_api()
        if console is not None:
            console.serve(
                api_url=rest_api.base_url,
                websocket_url=websocket_api.stage.url if websocket_api is not None else None,
            )
            CfnOutput(self, names.OUT_CONSOLE_URL, value=console.origin + "/", description="Web console URL")
            CfnOutput(self, names.OUT_CONSOLE_BUCKET, value=console.bucket.bucket_name, description="Console files")
            CfnOutput(
                self,
                names.OUT_CONSOLE_DISTRIBUTION_ID,
                value=console.distribution.distribution_id,
                description="Console CloudFront distribution (make deploy invalidates it after uploading)",
            )
        observability = self._observability(rest_api, queues, workflow, inference)
        if database is not None:
            self._migrate_on_deploy(database)

        self._outputs(storage, queues, workflow, rest_api, websocket_api, database, inference, observability)
        if signing is not None:
            CfnOutput(
                self,
                names.OUT_WEBHOOK_SIGNING_SECRET_ARN,
                value=signing.secret.secret_arn,
                description="Webhook signing key secret (speech-admin webhook-secret --signing-secret-arn)",
            )

    def _tags(self) -> None:
        """Project, stage and the stage's own tags on every taggable resource."""
        # DBProxyTargetGroup takes no Tags in CloudFormation although CDK marks it taggable.
        untaggable = ["AWS::RDS::DBProxyTargetGroup"]
        for key, value in {"project": names.PROJECT, "stage": self.config.stage, **self.config.tags}.items():
            Tags.of(self).add(key, value, exclude_resource_types=untaggable)

    def _database(
        self, vpc: ec2.IVpc | None, functions_sg: ec2.ISecurityGroup | None
    ) -> tuple[Database | None, dict[str, str]]:
        """Aurora behind RDS Proxy (`aurora` mode), and the database environment the functions get either way."""
        config = self.config
        if config.database.mode != "aurora":
            return None, {"DATABASE_URL": config.database.external_url}
        assert vpc is not None and functions_sg is not None
        database = Database(self, names.DATABASE, config=config, vpc=vpc, clients=functions_sg)
        database_env = {
            "DATABASE_SECRET_ARN": database.secret.secret_arn,
            "DATABASE_HOST": database.proxy.endpoint,
            "DATABASE_NAME": config.database.database_name,
        }
        return database, database_env

    def _inference(
        self, vpc: ec2.IVpc | None, functions_sg: ec2.ISecurityGroup | None, storage: Storage, queues: Queues
    ) -> tuple[Inference | None, str]:
        """Triton on ECS GPU instances (`ecs` mode), and the Triton URL the functions call either way."""
        config = self.config
        if config.inference.mode != "ecs":
            return None, config.inference.external_url
        assert vpc is not None and functions_sg is not None
        inference = Inference(
            self,
            names.INFERENCE,
            config=config,
            vpc=vpc,
            clients=functions_sg,
            models_bucket=storage.models,
            gpu_work_queue=queues.queue(names.QUEUE_GPU_WORK),
        )
        return inference, inference.grpc_url

    def _functions(
        self,
        resources: PlatformResources,
        vpc: ec2.IVpc | None,
        functions_sg: ec2.ISecurityGroup | None,
        require_built_layers: bool,
    ) -> Functions:
        """Every function of the catalog, with the grants and environment `resources` allow."""
        return Functions(
            self,
            names.FUNCTIONS,
            config=self.config,
            resources=resources,
            vpc=vpc,
            security_group=functions_sg,
            require_built_layers=require_built_layers,
        )

    def _websocket_api(self) -> WebSocketApi | None:
        """The WebSocket API, once a deployed function serves its routes (the stream handler does)."""
        if not any(spec.websocket_routes for spec in FUNCTIONS):
            return None
        return WebSocketApi(
            self,
            names.WEBSOCKET_API,
            config=self.config,
            functions=self.functions.by_id,
            invoke_targets=self.functions.invoke_targets,
        )

    def _observability(
        self, rest_api: RestApi, queues: Queues, workflow: Workflow, inference: Inference | None
    ) -> Observability:
        """Alarms and the dashboard over the REST API, queues, jobs and Triton targets."""
        return Observability(
            self,
            names.OBSERVABILITY,
            config=self.config,
            rest_api=rest_api.api,
            queues=queues,
            state_machine=workflow.state_machine,
            triton_target_groups=inference.target_groups if inference else [],
        )

    def _migrate_on_deploy(self, database: Database) -> None:
        """Deploy-time migrations: CloudFormation invokes the migration function once the database and its
        proxy exist, and fails the deployment (rolling back) if alembic fails."""
        triggers.Trigger(
            self,
            "MigrateOnDeploy",
            handler=self.functions.by_id[MIGRATION_FUNCTION_ID],
            execute_after=[database.cluster, database.proxy],
            execute_on_handler_change=True,
        )

    def _outputs(
        self,
        storage: Storage,
        queues: Queues,
        workflow: Workflow,
        rest_api: RestApi,
        websocket_api: WebSocketApi | None,
        database: Database | None,
        inference: Inference | None,
        observability: Observability,
    ) -> None:
        def out(key: str, value: str, description: str) -> None:
            CfnOutput(self, key, value=value, description=description)

        out(names.OUT_STAGE, self.config.stage, "Stage this stack was synthesized for")
        out(names.OUT_REST_API_URL, rest_api.api.url, "REST API base URL (stage included)")
        out(names.OUT_REST_API_ID, rest_api.api.rest_api_id, "REST API id")
        if websocket_api is not None:
            out(names.OUT_WEBSOCKET_URL, websocket_api.stage.url, "WebSocket URL (wss://)")
            out(names.OUT_WEBSOCKET_CALLBACK_URL, websocket_api.callback_url, "@connections management URL")
            out(names.OUT_WEBSOCKET_API_ID, websocket_api.api.api_id, "WebSocket API id")
        out(names.OUT_STATE_MACHINE_ARN, workflow.state_machine.state_machine_arn, "Job state machine")
        for construct_id, bucket in (
            (names.BUCKET_INGEST, storage.ingest),
            (names.BUCKET_AUDIO, storage.audio),
            (names.BUCKET_RESULTS, storage.results),
            (names.BUCKET_MODELS, storage.models),
            (names.BUCKET_ACCESS_LOGS, storage.access_logs),
        ):
            out(names.out_bucket(construct_id), bucket.bucket_name, f"{construct_id} name")
        for name, pair in queues.pairs.items():
            out(names.out_queue_url(name), pair.queue.queue_url, f"{name} queue URL")
            out(names.out_dlq_url(name), pair.dlq.queue_url, f"{name} DLQ URL")
        for spec in FUNCTIONS:
            out(names.out_function_name(spec.id), self.functions.by_id[spec.id].function_name, spec.handler)
        if database is not None:
            out(names.OUT_DATABASE_SECRET_ARN, database.secret.secret_arn, "Database credentials secret")
            out(names.OUT_DATABASE_PROXY_ENDPOINT, database.proxy.endpoint, "RDS Proxy endpoint")
        triton_url = inference.grpc_url if inference else self.config.inference.external_url
        out(names.OUT_TRITON_URL, triton_url, "Triton gRPC endpoint the functions call")
        if observability.topic is not None:
            out(names.OUT_ALARM_TOPIC_ARN, observability.topic.topic_arn, "Alarm SNS topic")
        if observability.dashboard is not None:
            out(names.OUT_DASHBOARD_NAME, observability.dashboard.dashboard_name, "CloudWatch dashboard")


def _platform_resources(
    storage: Storage,
    queues: Queues,
    workflow: Workflow,
    database: Database | None,
    database_env: dict[str, str],
    triton_url: str,
    signing: WebhookSigningKey | None,
    console_origin: str | None,
) -> PlatformResources:
    """What the functions may be granted access to and are told about, from the other capabilities."""
    return PlatformResources(
        ingest=storage.ingest,
        audio=storage.audio,
        results=storage.results,
        job_start_queue=queues.queue(names.QUEUE_JOB_START),
        state_machine=workflow.state_machine,
        consumer_queues={name: pair.queue for name, pair in queues.pairs.items()},
        database_secret=database.secret if database else None,
        database_env=database_env,
        triton_url=triton_url,
        webhook_signing_secret=signing.secret if signing else None,
        console_origin=console_origin,
    )
