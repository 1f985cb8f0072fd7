"""Network: a VPC with private subnets and endpoints, so functions reach S3/SQS/Secrets without a NAT."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra_cdk.capabilities.retention import log_retention
from infra_cdk.config import StageConfig
from infra_cdk.nag_acknowledgments import acknowledge


class Network(Construct):
    """The VPC (public / private-with-egress / isolated subnets), flow logs and interface endpoints.

    Public subnets exist only to hold the NAT gateway(s) the GPU instances need to pull the Triton image;
    functions and the database sit in private and isolated subnets.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        net = config.network
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=net.max_azs,
            nat_gateways=net.nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20),
                ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24),
            ],
            restrict_default_security_group=False,  # True adds a Lambda custom resource; the default SG is unused
        )
        flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            retention=log_retention(net.flow_log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs))

        # Gateway endpoint for S3 (free) and interface endpoints for what functions call most.
        self.vpc.add_gateway_endpoint("S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3)
        self.endpoint_security_group = ec2.SecurityGroup(
            self, "EndpointSecurityGroup", vpc=self.vpc, description="Interface endpoints", allow_all_outbound=False
        )
        self.endpoint_security_group.add_ingress_rule(
            ec2.Peer.ipv4(self.vpc.vpc_cidr_block), ec2.Port.tcp(443), "HTTPS from inside the VPC"
        )
        acknowledge(
            self.endpoint_security_group,
            "AwsSolutions-EC23",
            "Ingress is HTTPS from the VPC's own CIDR (a token cdk-nag cannot resolve), not from the internet.",
        )
        for endpoint_id, service in (
            ("SqsEndpoint", ec2.InterfaceVpcEndpointAwsService.SQS),
            ("SecretsEndpoint", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER),
            ("StatesEndpoint", ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS),
            ("LogsEndpoint", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS),
        ):
            self.vpc.add_interface_endpoint(
                endpoint_id,
                service=service,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                security_groups=[self.endpoint_security_group],
                private_dns_enabled=True,
            )

        self.functions_security_group = ec2.SecurityGroup(
            self, "FunctionsSecurityGroup", vpc=self.vpc, description="All platform Lambda functions"
        )
