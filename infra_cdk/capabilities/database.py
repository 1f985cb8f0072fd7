"""Database: Aurora Serverless v2 PostgreSQL behind RDS Proxy, credentials in Secrets Manager.

Only built when `database.mode == "aurora"`; with `external` (the local stage) functions get DATABASE_URL
from config instead and the local runtime supplies its own PostgreSQL.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from constructs import Construct

from infra_cdk import names
from infra_cdk.config import StageConfig
from infra_cdk.nag_acknowledgments import acknowledge


class Database(Construct):
    """Aurora PostgreSQL cluster (Serverless v2 writer, optional readers) and an RDS Proxy in front."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        vpc: ec2.IVpc,
        clients: ec2.ISecurityGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._security_groups(vpc, clients)
        self._cluster(vpc)
        self._acknowledge_findings()
        self._proxy(vpc)

    def _security_groups(self, vpc: ec2.IVpc, clients: ec2.ISecurityGroup) -> None:
        """Functions -> proxy -> cluster, on the PostgreSQL port only."""
        self.security_group = ec2.SecurityGroup(
            self, "ClusterSecurityGroup", vpc=vpc, description="Aurora cluster", allow_all_outbound=False
        )
        self.proxy_security_group = ec2.SecurityGroup(
            self, "ProxySecurityGroup", vpc=vpc, description="RDS Proxy", allow_all_outbound=False
        )
        self.proxy_security_group.add_ingress_rule(
            clients, ec2.Port.tcp(names.DATABASE_PORT), "PostgreSQL from the functions"
        )
        self.proxy_security_group.add_egress_rule(
            self.security_group, ec2.Port.tcp(names.DATABASE_PORT), "Proxy to the cluster"
        )
        self.security_group.add_ingress_rule(
            self.proxy_security_group, ec2.Port.tcp(names.DATABASE_PORT), "PostgreSQL from the proxy"
        )

    def _cluster(self, vpc: ec2.IVpc) -> None:
        """Encrypted Aurora PostgreSQL (Serverless v2 writer and readers) with its generated secret, rotated
        where the stage says so."""
        cfg = self._config.database
        removal = RemovalPolicy.RETAIN if self._config.storage.retain_on_delete else RemovalPolicy.DESTROY
        self.cluster = rds.DatabaseCluster(
            self,
            "Cluster",
            engine=rds.DatabaseClusterEngine.aurora_postgres(
                version=rds.AuroraPostgresEngineVersion.of(cfg.engine_version, cfg.engine_version.split(".")[0])
            ),
            credentials=rds.Credentials.from_generated_secret(names.DATABASE_USER),
            default_database_name=cfg.database_name,
            writer=rds.ClusterInstance.serverless_v2("Writer"),
            readers=[
                rds.ClusterInstance.serverless_v2(f"Reader{i}", scale_with_writer=True) for i in range(cfg.readers)
            ],
            serverless_v2_min_capacity=cfg.min_acu,
            serverless_v2_max_capacity=cfg.max_acu,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[self.security_group],
            storage_encrypted=True,
            iam_authentication=True,
            deletion_protection=cfg.deletion_protection,
            backup=rds.BackupProps(retention=Duration.days(cfg.backup_retention_days)),
            cloudwatch_logs_exports=["postgresql"],
            removal_policy=removal,
        )
        assert self.cluster.secret is not None
        self.secret = self.cluster.secret
        if cfg.secret_rotation_days is not None:
            self.cluster.add_rotation_single_user(automatically_after=Duration.days(cfg.secret_rotation_days))

    def _acknowledge_findings(self) -> None:
        """cdk-nag findings of the cluster, each with its reason."""
        cfg = self._config.database
        if cfg.secret_rotation_days is None:
            acknowledge(
                self.cluster,
                "AwsSolutions-SMG4",
                "Rotation is a per-stage setting (database.secret_rotation_days); this stage keeps a static "
                "secret, reachable only from inside the VPC through RDS Proxy.",
            )
        if not cfg.deletion_protection:
            acknowledge(
                self.cluster,
                "AwsSolutions-RDS10",
                "Deletion protection is a per-stage setting (database.deletion_protection): on in prod, off in "
                "short-lived stages so they can be torn down.",
            )
        acknowledge(
            self.cluster,
            "AwsSolutions-RDS11",
            "The default port is fine: the cluster has no public address and its security group admits only "
            "the RDS Proxy.",
        )

    def _proxy(self, vpc: ec2.IVpc) -> None:
        """RDS Proxy in front of the cluster (TLS required), reachable from the functions' security group."""
        self.proxy = self.cluster.add_proxy(
            "Proxy",
            secrets=[self.secret],
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[self.proxy_security_group],
            require_tls=True,
            debug_logging=False,
        )
