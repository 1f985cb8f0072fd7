"""Functions: every Lambda of the function catalog, with its layers, log group, role and triggers.

Code is a plain asset (no Docker bundling): the repository's `functions/` folder kept at that path, so
handler strings read `functions/<area>/handle_<verb>_<noun>.handler`. Two layers: the core package
(`layers/core`, already in Lambda layout) and the third-party dependencies built by `make layer-deps`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Annotations, CfnElement, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra_cdk import names
from infra_cdk.capabilities.retention import log_retention
from infra_cdk.config import Architecture, StageConfig
from infra_cdk.function_catalog import FUNCTIONS, Access, FunctionSpec
from infra_cdk.nag_acknowledgments import acknowledge, arn_of

REPO_ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_LAYER_DIR = Path(__file__).resolve().parents[1] / "layer_placeholder"
RUNTIME = lambda_.Runtime.PYTHON_3_12

#: the event bus job state changes go to (speech_core.notify; NotifySettings.event_bus_name)
JOB_EVENT_BUS = "default"

# Only functions/ goes into the code asset; everything else in the repository is excluded.
_CODE_EXCLUDES = ["*", "!functions", "!functions/**", "**/__pycache__", "**/*.pyc", "**/tests"]


class PlatformResources:
    """What functions may be granted access to (built by the other capabilities)."""

    def __init__(
        self,
        *,
        ingest: s3.IBucket,
        audio: s3.IBucket,
        results: s3.IBucket,
        job_start_queue: sqs.IQueue,
        state_machine: sfn.IStateMachine,
        consumer_queues: dict[str, sqs.IQueue],
        database_secret: secretsmanager.ISecret | None = None,
        database_env: dict[str, str],
        triton_url: str,
        webhook_signing_secret: secretsmanager.ISecret | None = None,
        console_origin: str | None = None,
    ) -> None:
        self.ingest = ingest
        self.audio = audio
        self.results = results
        self.job_start_queue = job_start_queue
        self.state_machine = state_machine
        cfn_machine = state_machine.node.default_child
        assert isinstance(cfn_machine, CfnElement)
        self.state_machine_logical_id = cfn_machine.logical_id
        self.consumer_queues = consumer_queues
        self.database_secret = database_secret
        self.database_env = database_env
        self.triton_url = triton_url
        #: the stage's webhook signing key (AWS stages); None where functions sign with WEBHOOK_SIGNING_KEY
        self.webhook_signing_secret = webhook_signing_secret
        #: the stage's web console origin, the one the REST functions answer CORS for (None: no console)
        self.console_origin = console_origin


class Functions(Construct):
    """Builds one `lambda_.Function` per catalog entry; `self.by_id[spec.id]` finds them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        resources: PlatformResources,
        vpc: ec2.IVpc | None,
        security_group: ec2.ISecurityGroup | None,
        require_built_layers: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._resources = resources
        self._vpc = vpc
        self._security_group = security_group
        arch = (
            lambda_.Architecture.ARM_64
            if config.functions.architecture is Architecture.ARM64
            else lambda_.Architecture.X86_64
        )
        self._architecture = arch
        self.core_layer = lambda_.LayerVersion(
            self,
            "CoreLayer",
            code=lambda_.Code.from_asset(str(REPO_ROOT / "layers" / "core"), exclude=["**/__pycache__", "**/*.pyc"]),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[arch],
            description="speech_core: the platform's core package",
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.deps_layer = lambda_.LayerVersion(
            self,
            "DepsLayer",
            code=lambda_.Code.from_asset(str(self._deps_layer_dir(require_built_layers))),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[arch],
            description=f"Third-party dependencies ({config.functions.architecture}, from uv.lock)",
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._code = lambda_.Code.from_asset(str(REPO_ROOT), exclude=_CODE_EXCLUDES)
        self.by_id: dict[str, lambda_.Function] = {spec.id: self._function(spec) for spec in FUNCTIONS}
        #: what API Gateway invokes: the `live` alias of the published version where SnapStart is on (it applies
        #: only to published versions), else the function itself
        self.invoke_targets: dict[str, lambda_.IFunction] = {
            spec.id: self._live_alias(spec, self.by_id[spec.id]) if self.snap_starts(spec) else self.by_id[spec.id]
            for spec in FUNCTIONS
        }

    def snap_starts(self, spec: FunctionSpec) -> bool:
        """SnapStart where the stage turns it on, for the functions API Gateway invokes (routes and authorizers).

        The migration function is left out: its deploy-time trigger invokes the unpublished function ($LATEST),
        where SnapStart never applies, once per deployment."""
        return self._config.functions.snap_start and (bool(spec.rest_routes) or spec.role == "authorizer")

    def _live_alias(self, spec: FunctionSpec, fn: lambda_.Function) -> lambda_.Alias:
        # current_version publishes a new version whenever the function's code or configuration changes
        return lambda_.Alias(self, f"{spec.id}Live", alias_name=names.LIVE_ALIAS, version=fn.current_version)

    def _deps_layer_dir(self, require_built_layers: bool) -> Path:
        built = REPO_ROOT / self._config.functions.deps_layer_dir
        if (built / "python").is_dir():
            return built
        if require_built_layers:
            raise FileNotFoundError(f"{built}/python is missing: run `make layer-deps` before deploying")
        Annotations.of(self).add_warning_v2(
            "speech:deps-layer-placeholder",
            f"{built} not built; the dependencies layer is a placeholder (fine for synth/tests, not deploy)",
        )
        return PLACEHOLDER_LAYER_DIR

    def _function(self, spec: FunctionSpec) -> lambda_.Function:
        cfg = self._config
        function_name = f"{names.resource_prefix(cfg.stage)}-{_kebab(spec.id)}"
        log_group = logs.LogGroup(
            self,
            f"{spec.id}Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=log_retention(cfg.functions.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            f"{spec.id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{function_name}: least privilege for {spec.handler}",
        )
        # Logs permissions scoped to the function's own log group, instead of AWSLambdaBasicExecutionRole.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        )
        fn = lambda_.Function(
            self,
            spec.id,
            function_name=function_name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=self._architecture,
            handler=spec.handler,
            code=self._code,
            layers=[self.core_layer, self.deps_layer],
            timeout=Duration.seconds(spec.timeout_s),
            memory_size=spec.memory_mb or cfg.functions.memory_mb,
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE if cfg.functions.tracing else lambda_.Tracing.DISABLED,
            vpc=self._vpc,
            vpc_subnets=(ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS) if self._vpc else None),
            security_groups=[self._security_group] if self._security_group else None,
            reserved_concurrent_executions=cfg.functions.reserved_concurrency,
            environment=self._environment(spec),
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if self.snap_starts(spec) else None,
        )
        self._grant(spec, fn)
        if spec.queue_source is not None:
            fn.add_event_source(
                event_sources.SqsEventSource(
                    self._resources.consumer_queues[spec.queue_source.queue],
                    batch_size=spec.queue_source.batch_size,
                    max_batching_window=(
                        Duration.seconds(spec.queue_source.max_batching_window_s)
                        if spec.queue_source.max_batching_window_s
                        else None
                    ),
                    report_batch_item_failures=True,
                )
            )
        self._acknowledge(spec, fn)
        return fn

    def _environment(self, spec: FunctionSpec) -> dict[str, str]:
        cfg, res = self._config, self._resources
        # Each variable here is read by the function's declared settings models (speech_core.settings), and
        # tests/infra/test_function_environment.py holds both sides to that.
        env = {
            "POWERTOOLS_SERVICE_NAME": spec.service_name,
            "POWERTOOLS_METRICS_NAMESPACE": names.METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": cfg.functions.log_level,
            "POWERTOOLS_TRACE_DISABLED": "false" if cfg.functions.tracing else "true",
            # no pydantic plugin is used: spares every function pydantic's entry-point scan at its first model
            "PYDANTIC_DISABLE_PLUGINS": "__all__",
        }
        access = spec.access
        if Access.MODEL_REGISTRY in access:
            env["MODEL_REGISTRY"] = cfg.inference.model_registry
        if Access.DATABASE in access:
            env.update(res.database_env)
        if Access.TRITON in access:
            env["TRITON_URL"] = res.triton_url
        if access & {Access.INGEST_READ, Access.INGEST_WRITE, Access.INGEST_DELETE}:
            env["INGEST_BUCKET"] = res.ingest.bucket_name
        if access & {Access.AUDIO_READ, Access.AUDIO_WRITE, Access.AUDIO_DELETE}:
            env["AUDIO_BUCKET"] = res.audio.bucket_name
        if access & {Access.RESULTS_READ, Access.RESULTS_WRITE, Access.RESULTS_DELETE}:
            env["RESULTS_BUCKET"] = res.results.bucket_name
        if Access.SEND_JOB_START in access:
            env["JOB_START_QUEUE_URL"] = res.job_start_queue.queue_url
        if Access.SEND_STREAM_TIMERS in access:
            env["STREAM_TIMERS_QUEUE_URL"] = res.consumer_queues[names.QUEUE_STREAM_TIMERS].queue_url
        if access & {Access.START_WORKFLOW, Access.STOP_WORKFLOW}:
            env["JOB_STATE_MACHINE_ARN"] = res.state_machine.state_machine_arn
        if spec.queue_source is not None:
            # consumers fail a workflow task on a message's last receive instead of letting it reach the DLQ
            env["QUEUE_MAX_RECEIVE_COUNT"] = str(cfg.queues.max_receive_count)
        if Access.PUBLISH_JOB_EVENTS in access:
            env["EVENT_BUS_NAME"] = JOB_EVENT_BUS
        if Access.WEBHOOK_URLS in access and cfg.notify.allow_insecure_webhooks:
            env["WEBHOOK_ALLOW_INSECURE_LOCAL"] = "true"
        if Access.AUDIO_URLS in access and cfg.audio_urls.allow_local:
            env["AUDIO_URL_ALLOW_LOCAL"] = "true"
        if Access.AUDIO_URLS in access and cfg.audio_urls.ca_bundle:
            env["AUDIO_URL_CA_BUNDLE"] = str(REPO_ROOT / cfg.audio_urls.ca_bundle)
        if Access.WEBHOOK_SIGNING_KEY in access and res.webhook_signing_secret is not None:
            env["WEBHOOK_SIGNING_SECRET_ARN"] = res.webhook_signing_secret.secret_arn
        if spec.rest_routes and res.console_origin:
            env["CONSOLE_ORIGIN"] = res.console_origin
        return env

    def _grant(self, spec: FunctionSpec, fn: lambda_.Function) -> None:
        res, access = self._resources, spec.access
        if Access.DATABASE in access and res.database_secret is not None:
            res.database_secret.grant_read(fn)
        if Access.INGEST_READ in access:
            res.ingest.grant_read(fn)
        if Access.INGEST_WRITE in access:
            res.ingest.grant_put(fn, f"{names.UPLOADS_PREFIX}*")
        if Access.AUDIO_READ in access:
            res.audio.grant_read(fn)
        if Access.AUDIO_WRITE in access:
            res.audio.grant_put(fn)
        if Access.RESULTS_READ in access:
            res.results.grant_read(fn, f"{names.RESULTS_PREFIX}*")
        if Access.RESULTS_WRITE in access:
            res.results.grant_put(fn, f"{names.RESULTS_PREFIX}*")
        for pattern in _delete_patterns(access):
            pattern.bucket(res).grant_delete(fn, pattern.key_pattern)
        if Access.SEND_JOB_START in access:
            res.job_start_queue.grant_send_messages(fn)
        if Access.SEND_STREAM_TIMERS in access:
            res.consumer_queues[names.QUEUE_STREAM_TIMERS].grant_send_messages(fn)
        if Access.START_WORKFLOW in access:
            res.state_machine.grant_start_execution(fn)
        if Access.STOP_WORKFLOW in access:
            res.state_machine.grant_execution(fn, "states:StopExecution", "states:DescribeExecution")
        if Access.TASK_RESPONSE in access:
            res.state_machine.grant_task_response(fn)
        if Access.PUBLISH_JOB_EVENTS in access:
            fn.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["events:PutEvents"],
                    resources=[
                        Stack.of(self).format_arn(service="events", resource="event-bus", resource_name=JOB_EVENT_BUS)
                    ],
                )
            )

        if Access.WEBHOOK_SIGNING_KEY in access and res.webhook_signing_secret is not None:
            # GetSecretValue only (not grant_read's DescribeSecret too): the function reads the value, nothing else
            fn.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[res.webhook_signing_secret.secret_arn],
                )
            )

    def _acknowledge(self, spec: FunctionSpec, fn: lambda_.Function) -> None:
        """Acknowledge exactly the wildcard findings this function's grants produce, each with its reason."""
        res, access = self._resources, spec.access
        role = fn.role
        assert role is not None  # every catalog function gets its own role
        acknowledge(
            fn,
            "AwsSolutions-L1",
            "Functions run Python 3.12 on purpose: it is the project's locked Python, the one the core and "
            "dependency layers are built for (README 'Python'); moving runtimes is a project-wide upgrade.",
        )
        bucket_reason = (
            "Object-level access to one named bucket: object keys are per tenant and per job, unknown at deploy "
            "time; the action families are those CDK's grant_read/grant_put emit."
        )
        buckets: list[tuple[s3.IBucket, str]] = []
        if Access.INGEST_READ in access:
            buckets.append((res.ingest, "*"))
        if Access.INGEST_WRITE in access:
            buckets.append((res.ingest, f"{names.UPLOADS_PREFIX}*"))
        if access & {Access.AUDIO_READ, Access.AUDIO_WRITE}:
            buckets.append((res.audio, "*"))
        if access & {Access.RESULTS_READ, Access.RESULTS_WRITE}:
            buckets.append((res.results, f"{names.RESULTS_PREFIX}*"))
        buckets += [(pattern.bucket(res), pattern.key_pattern) for pattern in _delete_patterns(access)]
        for bucket, key_pattern in buckets:
            acknowledge(role, f"AwsSolutions-IAM5[Resource::{arn_of(bucket)}/{key_pattern}]", bucket_reason)
        if buckets:
            for action in ("s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:Abort*", "s3:DeleteObject*"):
                acknowledge(role, f"AwsSolutions-IAM5[Action::{action}]", bucket_reason)
        if Access.STOP_WORKFLOW in access:
            machine = Stack.of(self).resolve(res.state_machine_logical_id)
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
                f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{machine}"}}]}}]}}:*]',
                "Stop/Describe apply to executions of this one state machine; execution names are made at run time.",
            )
        if self._config.functions.tracing:
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions (AWS documents '*').",
            )
        if self._vpc is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaVPCAccessExecutionRole]",
                "AWSLambdaVPCAccessExecutionRole is what Lambda needs to manage ENIs in the VPC; its EC2 actions "
                "cannot be scoped to resources anyway.",
            )


def _kebab(identifier: str) -> str:
    out = []
    for i, char in enumerate(identifier):
        if char.isupper() and i:
            out.append("-")
        out.append(char.lower())
    return "".join(out)


@dataclass(frozen=True)
class _DeletePattern:
    """Objects a delete flag lets a function remove: one bucket, one key prefix."""

    bucket_attr: str
    key_pattern: str

    def bucket(self, resources: PlatformResources) -> s3.IBucket:
        bucket: s3.IBucket = getattr(resources, self.bucket_attr)
        return bucket


def _delete_patterns(access: frozenset[Access]) -> list[_DeletePattern]:
    """What each delete flag grants: a deleted job's input, chunks and results, nothing else."""
    patterns: list[_DeletePattern] = []
    if Access.INGEST_DELETE in access:
        patterns += [
            _DeletePattern("ingest", f"{names.UPLOADS_PREFIX}*"),
            _DeletePattern("ingest", f"{names.INCOMING_PREFIX}*"),
        ]
    if Access.AUDIO_DELETE in access:
        patterns.append(_DeletePattern("audio", f"{names.CHUNKS_PREFIX}*"))
    if Access.RESULTS_DELETE in access:
        patterns.append(_DeletePattern("results", f"{names.RESULTS_PREFIX}*"))
    return patterns
