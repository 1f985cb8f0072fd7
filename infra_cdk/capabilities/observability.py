"""Observability: alarms (5xx rate, p99 latency, DLQ depth, job failures, Triton health) and a dashboard.

Alarms publish to one SNS topic (KMS-encrypted with a key CloudWatch may use); `observability.alarms`
turns them off where nobody listens (the local stage).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra_cdk import names
from infra_cdk.capabilities.queues import Queues
from infra_cdk.config import ObservabilityConfig, StageConfig


class Observability(Construct):
    """Alarm topic, alarms and the stage dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        rest_api: apigw.RestApi,
        queues: Queues,
        state_machine: sfn.StateMachine,
        triton_target_groups: list[elbv2.NetworkTargetGroup],
    ) -> None:
        super().__init__(scope, construct_id)
        cfg = config.observability
        self._prefix = names.resource_prefix(config.stage)
        self.alarms: list[cloudwatch.Alarm] = []
        self.topic: sns.Topic | None = None
        self.dashboard: cloudwatch.Dashboard | None = None
        metrics = _KeyMetrics.of(rest_api, state_machine)
        if cfg.alarms:
            self._alarm_topic(cfg.alarm_email)
            self._alarms(cfg, metrics, queues, triton_target_groups)
        if cfg.dashboard:
            self._dashboard(metrics, state_machine, queues, triton_target_groups)

    def _alarm_topic(self, alarm_email: str | None) -> None:
        """The KMS-encrypted SNS topic alarms publish to, with the optional e-mail subscription."""
        key = kms.Key(self, "AlarmTopicKey", enable_key_rotation=True, removal_policy=RemovalPolicy.DESTROY)
        # CloudWatch alarms publish to encrypted topics only if the key lets CloudWatch use it.
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(
            self, "AlarmTopic", topic_name=f"{self._prefix}-alarms", master_key=key, enforce_ssl=True
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))

    def _alarms(
        self,
        cfg: ObservabilityConfig,
        metrics: _KeyMetrics,
        queues: Queues,
        triton_target_groups: list[elbv2.NetworkTargetGroup],
    ) -> None:
        """Alarms on the REST 5xx rate and p99 latency, job failures, DLQ depth and Triton target health."""
        self._alarm("Api5xxRate", metrics.api_5xx_rate, cfg.api_5xx_percent, "REST API 5xx rate over threshold (%)")
        self._alarm(
            "ApiP99Latency", metrics.api_p99, cfg.api_p99_latency_ms, "REST API p99 latency over threshold (ms)"
        )
        self._alarm("JobFailures", metrics.failed_jobs, 0, "Batch jobs failed")
        for name, pair in queues.pairs.items():
            self._alarm(
                f"{_pascal(name)}DlqDepth",
                pair.dlq.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), statistic="Maximum"),
                0,
                f"Messages in the {name} DLQ",
            )
        for target_group in triton_target_groups:
            self._alarm(
                f"TritonUnhealthy{target_group.node.id}",
                target_group.metrics.un_healthy_host_count(period=Duration.minutes(1), statistic="Maximum"),
                0,
                "Triton targets failing /v2/health/ready",
            )
            self._alarm(
                f"TritonNoHealthy{target_group.node.id}",
                target_group.metrics.healthy_host_count(period=Duration.minutes(1), statistic="Minimum"),
                1,
                "No healthy Triton target",
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                missing=cloudwatch.TreatMissingData.BREACHING,
            )

    def _dashboard(
        self,
        metrics: _KeyMetrics,
        state_machine: sfn.StateMachine,
        queues: Queues,
        triton_target_groups: list[elbv2.NetworkTargetGroup],
    ) -> None:
        """The stage dashboard: REST errors and latency, jobs, queue and DLQ depth, Triton healthy targets."""
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"{self._prefix}-platform")
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="REST 5xx %", left=[metrics.api_5xx_rate], width=8),
            cloudwatch.GraphWidget(title="REST p99 latency", left=[metrics.api_p99], width=8),
            cloudwatch.GraphWidget(
                title="Jobs",
                left=[
                    state_machine.metric_started(period=Duration.minutes(5)),
                    state_machine.metric_succeeded(period=Duration.minutes(5)),
                    metrics.failed_jobs,
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Queue depth",
                left=[
                    pair.queue.metric_approximate_number_of_messages_visible(label=name)
                    for name, pair in queues.pairs.items()
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="DLQ depth",
                left=[
                    pair.dlq.metric_approximate_number_of_messages_visible(label=f"{name}-dlq")
                    for name, pair in queues.pairs.items()
                ],
                width=12,
            ),
        )
        if triton_target_groups:
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="Triton healthy targets",
                    left=[tg.metrics.healthy_host_count() for tg in triton_target_groups],
                    width=12,
                )
            )

    def _alarm(
        self,
        alarm_id: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        *,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            alarm_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=comparison,
            treat_missing_data=missing,
            alarm_description=description,
        )
        assert self.topic is not None
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        self.alarms.append(alarm)


@dataclass(frozen=True)
class _KeyMetrics:
    """The metrics both the alarms and the dashboard show."""

    api_5xx_rate: cloudwatch.IMetric
    api_p99: cloudwatch.IMetric
    failed_jobs: cloudwatch.IMetric

    @classmethod
    def of(cls, rest_api: apigw.RestApi, state_machine: sfn.StateMachine) -> _KeyMetrics:
        """REST 5xx rate (%) and p99 latency, and failed jobs, over five minutes."""
        return cls(
            api_5xx_rate=cloudwatch.MathExpression(
                expression="100 * errors / MAX([requests, 1])",
                using_metrics={
                    "errors": rest_api.metric_server_error(period=Duration.minutes(5), statistic="Sum"),
                    "requests": rest_api.metric_count(period=Duration.minutes(5), statistic="Sum"),
                },
                label="5xx %",
                period=Duration.minutes(5),
            ),
            api_p99=rest_api.metric_latency(period=Duration.minutes(5), statistic="p99"),
            failed_jobs=state_machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
        )


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
