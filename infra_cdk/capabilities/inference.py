"""Inference: Triton on an ECS cluster of EC2 GPU instances, behind an internal Network Load Balancer.

- Auto Scaling group of GPU instances (ECS GPU-optimized AMI, encrypted EBS, IMDSv2) as a capacity provider
  with managed scaling, so tasks asking for a GPU bring up instances;
- one Triton task per GPU (GPU resource requirement), loading its model repository straight from the models
  bucket (`--model-repository=s3://...`, read-only task role);
- an internal NLB on the gRPC and HTTP ports; functions call it through TRITON_URL;
- service scaling on GPU work-queue backlog per task and on GPU utilisation (CloudWatch agent metric).
Only built when `inference.mode == "ecs"`.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk import names
from infra_cdk.capabilities.retention import log_retention
from infra_cdk.config import StageConfig
from infra_cdk.nag_acknowledgments import acknowledge, arn_of

# Published by the CloudWatch agent's nvidia_gpu plugin on the GPU instances (see README "Inference").
GPU_UTILISATION_METRIC = cloudwatch.Metric(
    namespace="CWAgent", metric_name="nvidia_smi_utilization_gpu", statistic="Average", period=Duration.minutes(1)
)


class Inference(Construct):
    """ECS GPU cluster, Triton service, internal NLB and scaling."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        vpc: ec2.IVpc,
        clients: ec2.ISecurityGroup,
        models_bucket: s3.IBucket,
        gpu_work_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        self._security_groups(vpc, clients)
        launch_template, capacity_provider = self._gpu_capacity(vpc)
        task_definition, container = self._triton_task(models_bucket)
        self._triton_service(task_definition, capacity_provider)
        self._load_balancer(vpc, container)
        self._scaling(gpu_work_queue)
        self._acknowledge_findings(launch_template, task_definition, models_bucket)

    def _security_groups(self, vpc: ec2.IVpc, clients: ec2.ISecurityGroup) -> None:
        """Functions -> NLB -> instances, on Triton's HTTP and gRPC ports only."""
        self.instance_security_group = ec2.SecurityGroup(
            self, "InstanceSecurityGroup", vpc=vpc, description="Triton GPU instances"
        )
        self.load_balancer_security_group = ec2.SecurityGroup(
            self, "LoadBalancerSecurityGroup", vpc=vpc, description="Internal Triton NLB", allow_all_outbound=False
        )
        for port in (names.TRITON_HTTP_PORT, names.TRITON_GRPC_PORT):
            self.load_balancer_security_group.add_ingress_rule(clients, ec2.Port.tcp(port), "Triton from functions")
            self.load_balancer_security_group.add_egress_rule(
                self.instance_security_group, ec2.Port.tcp(port), "NLB to Triton"
            )
            self.instance_security_group.add_ingress_rule(
                self.load_balancer_security_group, ec2.Port.tcp(port), "Triton from the NLB"
            )

    def _gpu_capacity(self, vpc: ec2.IVpc) -> tuple[ec2.LaunchTemplate, ecs.AsgCapacityProvider]:
        """GPU instances (ECS GPU AMI, encrypted EBS, IMDSv2) as a capacity provider with managed scaling."""
        cfg = self._config.inference
        launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            instance_type=ec2.InstanceType(cfg.instance_type),
            machine_image=ecs.EcsOptimizedImage.amazon_linux2(ecs.AmiHardwareType.GPU),
            user_data=ec2.UserData.for_linux(),
            role=_instance_role(self),
            security_group=self.instance_security_group,
            require_imdsv2=True,
            detailed_monitoring=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(100, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3),
                )
            ],
        )
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "GpuInstances",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            launch_template=launch_template,
            min_capacity=cfg.min_instances,
            max_capacity=cfg.max_instances,
            new_instances_protected_from_scale_in=True,  # managed termination protection drains tasks first
        )
        capacity_provider = ecs.AsgCapacityProvider(
            self,
            "CapacityProvider",
            auto_scaling_group=self.auto_scaling_group,
            enable_managed_scaling=True,
            enable_managed_termination_protection=True,
            target_capacity_percent=100,
        )
        self.cluster.add_asg_capacity_provider(capacity_provider)
        return launch_template, capacity_provider

    def _triton_task(self, models_bucket: s3.IBucket) -> tuple[ecs.Ec2TaskDefinition, ecs.ContainerDefinition]:
        """One Triton container per GPU, loading its repository straight from the models bucket (read-only)."""
        cfg = self._config.inference
        task_definition = ecs.Ec2TaskDefinition(self, "TritonTask", network_mode=ecs.NetworkMode.BRIDGE)
        models_bucket.grant_read(task_definition.task_role, f"{cfg.model_repository_prefix}/*")
        log_group = logs.LogGroup(
            self,
            "TritonLogs",
            retention=log_retention(self._config.functions.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        container = task_definition.add_container(
            names.TRITON_CONTAINER,
            image=ecs.ContainerImage.from_registry(cfg.container_image),
            memory_reservation_mib=cfg.task_memory_mib,
            gpu_count=cfg.gpu_per_task,
            command=[
                "tritonserver",
                f"--model-repository=s3://{models_bucket.bucket_name}/{cfg.model_repository_prefix}",
                "--model-control-mode=none",
                "--strict-readiness=true",
                f"--http-port={names.TRITON_HTTP_PORT}",
                f"--grpc-port={names.TRITON_GRPC_PORT}",
                f"--metrics-port={names.TRITON_METRICS_PORT}",
            ],
            logging=ecs.LogDrivers.aws_logs(stream_prefix="triton", log_group=log_group),
            health_check=ecs.HealthCheck(
                command=["CMD-SHELL", f"curl -sf localhost:{names.TRITON_HTTP_PORT}/v2/health/ready || exit 1"],
                start_period=Duration.minutes(5),
            ),
            port_mappings=[
                ecs.PortMapping(container_port=port, host_port=port)
                for port in (names.TRITON_HTTP_PORT, names.TRITON_GRPC_PORT, names.TRITON_METRICS_PORT)
            ],
        )
        return task_definition, container

    def _triton_service(
        self, task_definition: ecs.Ec2TaskDefinition, capacity_provider: ecs.AsgCapacityProvider
    ) -> None:
        cfg = self._config.inference
        self.service = ecs.Ec2Service(
            self,
            "TritonService",
            cluster=self.cluster,
            task_definition=task_definition,
            desired_count=cfg.min_tasks,
            min_healthy_percent=50,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            capacity_provider_strategies=[
                ecs.CapacityProviderStrategy(capacity_provider=capacity_provider.capacity_provider_name, weight=1)
            ],
            # One task per instance: host ports are fixed and each instance has the GPUs one task asks for.
            placement_constraints=[ecs.PlacementConstraint.distinct_instances()],
            health_check_grace_period=Duration.minutes(5),
        )

    def _load_balancer(self, vpc: ec2.IVpc, container: ecs.ContainerDefinition) -> None:
        """Internal NLB on the gRPC and HTTP ports, health-checked on Triton's readiness; sets `grpc_url`."""
        self.load_balancer = elbv2.NetworkLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=False,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[self.load_balancer_security_group],
            cross_zone_enabled=True,
        )
        self.target_groups: list[elbv2.NetworkTargetGroup] = []
        for port in (names.TRITON_GRPC_PORT, names.TRITON_HTTP_PORT):
            listener = self.load_balancer.add_listener(f"Listener{port}", port=port)
            target_group = listener.add_targets(
                f"Triton{port}",
                port=port,
                targets=[
                    self.service.load_balancer_target(container_name=container.container_name, container_port=port)
                ],
                health_check=elbv2.HealthCheck(
                    protocol=elbv2.Protocol.HTTP,
                    port=str(names.TRITON_HTTP_PORT),
                    path="/v2/health/ready",
                    interval=Duration.seconds(15),
                ),
                deregistration_delay=Duration.seconds(30),
            )
            self.target_groups.append(target_group)
        self.grpc_url = f"{self.load_balancer.load_balancer_dns_name}:{names.TRITON_GRPC_PORT}"

    def _scaling(self, gpu_work_queue: sqs.IQueue) -> None:
        """Tasks scale on the GPU work queue's backlog and on GPU utilisation; instances follow the tasks."""
        cfg = self._config.inference
        scaling = self.service.auto_scale_task_count(min_capacity=cfg.min_tasks, max_capacity=cfg.max_tasks)
        scaling.scale_on_metric(
            "GpuWorkBacklog",
            metric=gpu_work_queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(1)),
            scaling_steps=[
                appscaling.ScalingInterval(upper=0, change=0),
                appscaling.ScalingInterval(lower=cfg.queue_backlog_per_task, change=+1),
                appscaling.ScalingInterval(lower=cfg.queue_backlog_per_task * 5, change=+2),
            ],
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=Duration.minutes(3),
        )
        scaling.scale_to_track_custom_metric(
            "GpuUtilisation",
            metric=GPU_UTILISATION_METRIC.with_(
                dimensions_map={"AutoScalingGroupName": self.auto_scaling_group.auto_scaling_group_name}
            ),
            target_value=cfg.gpu_utilisation_target_percent,
            scale_in_cooldown=Duration.minutes(5),
            scale_out_cooldown=Duration.minutes(2),
        )

    def _acknowledge_findings(
        self, launch_template: ec2.LaunchTemplate, task_definition: ecs.Ec2TaskDefinition, models_bucket: s3.IBucket
    ) -> None:
        """cdk-nag findings of this construct, each with its reason."""
        cfg = self._config.inference
        instance_role = launch_template.role
        assert instance_role is not None
        for policy in ("AmazonSSMManagedInstanceCore", "service-role/AmazonEC2ContainerServiceforEC2Role"):
            acknowledge(
                instance_role,
                f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}]",
                "AWS-managed policies documented for ECS container instances (ECS agent registration) and SSM "
                "Session Manager access instead of SSH.",
            )
        for finding in ("Action::ecs:Submit*", "Resource::*"):
            acknowledge(
                instance_role,
                f"AwsSolutions-IAM5[{finding}]",
                "ECS agent actions CDK grants to container instances (Submit*, Poll, DiscoverPollEndpoint) and the "
                "drain permissions have no resource-level scoping.",
            )
        model_reason = (
            "Read-only access to the model repository prefix of the models bucket; object keys are model files "
            "and versions that change without redeploying."
        )
        acknowledge(
            task_definition.task_role,
            f"AwsSolutions-IAM5[Resource::{arn_of(models_bucket)}/{cfg.model_repository_prefix}/*]",
            model_reason,
        )
        for action in ("s3:GetBucket*", "s3:GetObject*", "s3:List*"):
            acknowledge(task_definition.task_role, f"AwsSolutions-IAM5[Action::{action}]", model_reason)
        acknowledge(
            self.auto_scaling_group,
            "AwsSolutions-AS3",
            "The GPU fleet is scaled by the ECS capacity provider, not by people; scaling activity is visible in "
            "ECS events and the dashboard, and Triton health has its own alarms.",
        )
        acknowledge(
            self.load_balancer,
            "AwsSolutions-ELB2",
            "Internal NLB carrying gRPC inference calls from the functions only; Triton's logs in CloudWatch "
            "cover what connection-level access logs would.",
        )
        acknowledge(
            task_definition,
            "AwsSolutions-ECS2",
            "The Triton container gets no secrets through environment variables; its configuration is the "
            "command line above.",
        )


def _instance_role(scope: Construct) -> iam.Role:
    role = iam.Role(scope, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    role.add_managed_policy(
        iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonEC2ContainerServiceforEC2Role")
    )
    role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore"))
    return role
