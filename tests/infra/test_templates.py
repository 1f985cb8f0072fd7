"""Assertions on the synthesized template of every stage (the issue's 'done when' list, and the contracts
the local runtime and the handler authors rely on)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra_cdk import names
from infra_cdk.function_catalog import FUNCTIONS, PLANNED_FUNCTIONS, REST_AUTHORIZER_ID, WEBSOCKET_AUTHORIZER_ID
from tests.infra.conftest import SynthesizedStage

pytestmark = pytest.mark.infra


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def _function_logical_id(stage: SynthesizedStage, function_id: str) -> str:
    """The logical id of a catalog function, found by its physical name."""
    expected_name = f"{names.resource_prefix(stage.stage)}-{_kebab(function_id)}"
    candidates = [
        lid for lid, props in stage.props("AWS::Lambda::Function").items() if props.get("FunctionName") == expected_name
    ]
    assert len(candidates) == 1, (function_id, candidates)
    return candidates[0]


def _kebab(identifier: str) -> str:
    return "".join(("-" + c.lower()) if c.isupper() and i else c.lower() for i, c in enumerate(identifier))


# --- storage ----------------------------------------------------------------------------------------


def test_every_bucket_is_encrypted_private_and_tls_only(stage: SynthesizedStage) -> None:
    buckets = stage.props("AWS::S3::Bucket")
    assert len(buckets) == 5 + (1 if stage.config.console.hosted else 0)  # + the web console's, where hosted
    policies = {_ref(p["Bucket"]): p["PolicyDocument"] for p in stage.props("AWS::S3::BucketPolicy").values()}
    for logical_id, props in buckets.items():
        rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules and rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        statements = policies[logical_id]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        ), f"{logical_id} does not deny plain HTTP"
        assert props["LifecycleConfiguration"]["Rules"], logical_id


def test_s3_drop_notification_is_written_on_the_bucket(stage: SynthesizedStage) -> None:
    # Given the ingest bucket, its ObjectCreated events under incoming/ go straight to the s3-events queue,
    # with no Lambda-backed notification custom resource (LocalStack cannot run those).
    assert not stage.resources("Custom::S3BucketNotifications")
    ingest = [p for lid, p in stage.props("AWS::S3::Bucket").items() if lid.startswith(f"Storage{names.BUCKET_INGEST}")]
    assert len(ingest) == 1
    (config,) = ingest[0]["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*"
    assert config["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": names.INCOMING_PREFIX}]
    queue_lid = _ref(config["Queue"])
    assert stage.template["Resources"][queue_lid]["Properties"]["QueueName"].endswith(names.QUEUE_S3_EVENTS)


# --- queues -----------------------------------------------------------------------------------------


def test_every_queue_has_a_dlq_and_is_encrypted_and_tls_only(stage: SynthesizedStage) -> None:
    queues = stage.props("AWS::SQS::Queue")
    dlq_ids = {_ref(p["RedrivePolicy"]["deadLetterTargetArn"]) for p in queues.values() if "RedrivePolicy" in p}
    work_queues = {lid: p for lid, p in queues.items() if lid not in dlq_ids}
    assert len(work_queues) == len(names.ALL_QUEUES) == len(dlq_ids)
    for logical_id, props in work_queues.items():
        assert "RedrivePolicy" in props, f"{logical_id} has no DLQ"
        assert props["RedrivePolicy"]["maxReceiveCount"] == stage.config.queues.max_receive_count
    policies = stage.props("AWS::SQS::QueuePolicy").values()
    tls_denied = {
        _ref(q)
        for p in policies
        for q in p["Queues"]
        for s in p["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    }
    for logical_id, props in queues.items():
        assert props.get("SqsManagedSseEnabled") is True, logical_id
        assert logical_id in tls_denied, f"{logical_id} accepts plain HTTP"


def test_every_queue_consumer_reports_partial_batch_failures(stage: SynthesizedStage) -> None:
    mappings = stage.props("AWS::Lambda::EventSourceMapping")
    consumers = [spec for spec in FUNCTIONS if spec.queue_source]
    assert len(mappings) == len(consumers)
    by_function = {_ref(m["FunctionName"]): m for m in mappings.values()}
    for spec in consumers:
        mapping = by_function[_function_logical_id(stage, spec.id)]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == spec.queue_source.batch_size
        queue = stage.template["Resources"][_ref(mapping["EventSourceArn"])]["Properties"]
        assert queue["QueueName"] == f"{names.resource_prefix(stage.stage)}-{spec.queue_source.queue}"
        # Visibility timeout covers retries of the consumer (>= its timeout).
        assert queue["VisibilityTimeout"] >= spec.timeout_s


def test_queues_are_sized_for_their_consumers_planned_ones_included(stage: SynthesizedStage) -> None:
    queues = {p["QueueName"]: p for p in stage.props("AWS::SQS::Queue").values()}
    for spec in (*FUNCTIONS, *PLANNED_FUNCTIONS):
        if spec.queue_source is not None:
            queue = queues[f"{names.resource_prefix(stage.stage)}-{spec.queue_source.queue}"]
            assert queue["VisibilityTimeout"] >= 6 * spec.timeout_s or queue["VisibilityTimeout"] == 43200


# --- REST API ---------------------------------------------------------------------------------------


def _method_paths(stage: SynthesizedStage) -> dict[tuple[str, str], dict[str, Any]]:
    resources = stage.props("AWS::ApiGateway::Resource")
    (rest_api_lid,) = stage.resources("AWS::ApiGateway::RestApi")

    def path_of(resource_ref: Any) -> str:
        if isinstance(resource_ref, dict) and "Fn::GetAtt" in resource_ref:
            assert resource_ref["Fn::GetAtt"] == [rest_api_lid, "RootResourceId"]
            return ""
        props = resources[_ref(resource_ref)]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    # OPTIONS: the console's CORS preflight, answered by the gateway (tests/infra/test_console_hosting.py)
    methods = stage.props("AWS::ApiGateway::Method").values()
    return {(p["HttpMethod"], path_of(p["ResourceId"])): p for p in methods if p["HttpMethod"] != "OPTIONS"}


def test_every_rest_method_except_health_is_behind_the_authorizer(stage: SynthesizedStage) -> None:
    methods = _method_paths(stage)
    expected = {(r.method, r.path) for spec in FUNCTIONS for r in spec.rest_routes}
    assert set(methods) == expected
    (authorizer_lid, authorizer) = next(iter(stage.resources("AWS::ApiGateway::Authorizer").items()))
    assert authorizer["Properties"]["Type"] == "REQUEST"
    assert authorizer["Properties"]["AuthorizerResultTtlInSeconds"] == stage.config.api.authorizer_cache_ttl_s
    assert REST_AUTHORIZER_ID in json.dumps(authorizer["Properties"]["AuthorizerUri"])
    for (method, path), props in methods.items():
        if (method, path) == ("GET", "/v1/health"):
            assert props["AuthorizationType"] == "NONE"
            assert "AuthorizerId" not in props
        else:
            assert props["AuthorizationType"] == "CUSTOM", (method, path)
            assert _ref(props["AuthorizerId"]) == authorizer_lid, (method, path)


def test_rest_stage_throttles_logs_and_passes_binary_audio(stage: SynthesizedStage) -> None:
    (api,) = stage.props("AWS::ApiGateway::RestApi").values()
    assert "audio/*" in api["BinaryMediaTypes"]
    (api_stage,) = stage.props("AWS::ApiGateway::Stage").values()
    assert api_stage["StageName"] == stage.stage
    assert "AccessLogSetting" in api_stage
    (settings,) = api_stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == stage.config.api.throttle_rate
    assert settings["DataTraceEnabled"] is False
    responses = {p["ResponseType"]: p for p in stage.props("AWS::ApiGateway::GatewayResponse").values()}
    assert json.loads(responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"])["error"]["code"] == (
        "auth.missing_key"
    )


# --- WebSocket API -----------------------------------------------------------------------------------


def test_websocket_api_exists_exactly_when_a_deployed_function_serves_it(stage: SynthesizedStage) -> None:
    if not any(spec.websocket_routes for spec in FUNCTIONS):
        # While the stream handler is planned (issue 12) no WebSocket API is half-built: API Gateway cannot
        # deploy a WebSocket stage without routes, and a route needs a deployed integration.
        assert not stage.resources("AWS::ApiGatewayV2::Api")
        assert names.OUT_WEBSOCKET_URL not in stage.template["Outputs"]
        return
    (api,) = stage.props("AWS::ApiGatewayV2::Api").values()
    assert api["ProtocolType"] == "WEBSOCKET"
    routes = {p["RouteKey"]: p for p in stage.props("AWS::ApiGatewayV2::Route").values()}
    assert set(routes) == {"$connect", "$disconnect", "$default", "start", "audio", "stop"}
    (authorizer_lid, authorizer) = next(iter(stage.props("AWS::ApiGatewayV2::Authorizer").items()))
    assert authorizer["AuthorizerType"] == "REQUEST"
    # no identity source: API Gateway would answer 401 itself to an upgrade missing any listed one, and the key
    # comes in a header, the speech.v1 subprotocol offer or ?key= (docs/streaming.md "Connecting")
    assert authorizer.get("IdentitySource", []) == []
    assert WEBSOCKET_AUTHORIZER_ID in json.dumps(authorizer["AuthorizerUri"])
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert _ref(routes["$connect"]["AuthorizerId"]) == authorizer_lid
    for key in set(routes) - {"$connect"}:
        assert routes[key].get("AuthorizationType", "NONE") == "NONE"


# --- functions --------------------------------------------------------------------------------------


def test_every_catalog_function_exists_with_timeout_logs_and_powertools_env(stage: SynthesizedStage) -> None:
    functions = stage.props("AWS::Lambda::Function")
    roles = set()
    for spec in FUNCTIONS:
        props = functions[_function_logical_id(stage, spec.id)]
        assert props["Handler"] == spec.handler
        assert props["Timeout"] == spec.timeout_s
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == [stage.config.functions.architecture.value]
        assert len(props["Layers"]) == 2
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == spec.service_name
        assert env["POWERTOOLS_LOG_LEVEL"] == stage.config.functions.log_level
        assert "LoggingConfig" in props and "LogGroup" in props["LoggingConfig"]
        roles.add(_ref(props["Role"]))
    assert len(roles) == len(FUNCTIONS), "every function must have its own role"


def test_cloud_functions_run_in_the_vpc(cloud_stage: SynthesizedStage) -> None:
    functions = cloud_stage.props("AWS::Lambda::Function")
    for spec in FUNCTIONS:
        props = functions[_function_logical_id(cloud_stage, spec.id)]
        assert props["VpcConfig"]["SubnetIds"] and props["VpcConfig"]["SecurityGroupIds"], spec.id
        env = props["Environment"]["Variables"]
        if "DATABASE_SECRET_ARN" in env or "DATABASE_URL" in env:
            assert "DATABASE_HOST" in env and "DATABASE_URL" not in env
    endpoints = cloud_stage.props("AWS::EC2::VPCEndpoint").values()
    services = json.dumps([e["ServiceName"] for e in endpoints])
    for service in ("s3", "sqs", "secretsmanager"):
        assert f".{service}" in services


def test_local_stage_is_deployable_to_localstack(synthesized: dict[str, SynthesizedStage]) -> None:
    # Given the local stage, nothing in it needs a VPC, RDS, ECS or a Lambda-backed custom resource.
    local = synthesized["local"]
    types = {r["Type"] for r in local.template["Resources"].values()}
    forbidden = [t for t in types if t.startswith(("AWS::EC2::", "AWS::RDS::", "AWS::ECS::", "AWS::AutoScaling::"))]
    assert not forbidden
    assert not [t for t in types if t.startswith("Custom::") or t == "AWS::CloudFormation::CustomResource"]
    functions = local.props("AWS::Lambda::Function")
    assert len(functions) == len(FUNCTIONS), "only catalog functions (no CDK provider handlers)"
    for props in functions.values():
        assert "VpcConfig" not in props
        env = props["Environment"]["Variables"]
        assert "DATABASE_SECRET_ARN" not in env
    health = functions[_function_logical_id(local, "Health")]["Environment"]["Variables"]
    assert health["DATABASE_URL"] == local.config.database.external_url
    assert health["TRITON_URL"] == local.config.inference.external_url
    assets = functions[_function_logical_id(local, "ListModels")]["Environment"]["Variables"]
    assert assets["MODEL_REGISTRY"] == "local"


def test_gpu_stages_call_the_production_registry(cloud_stage: SynthesizedStage) -> None:
    from speech_core.inference import packaged_registry_names

    functions = cloud_stage.props("AWS::Lambda::Function")
    registries = {
        props.get("Environment", {}).get("Variables", {}).get("MODEL_REGISTRY") for props in functions.values()
    } - {None}
    assert registries == {"production"} and "production" in packaged_registry_names()


# --- inference ----------------------------------------------------------------------------------------


def test_triton_service_reserves_a_gpu_on_gpu_instances(cloud_stage: SynthesizedStage) -> None:
    (task,) = cloud_stage.props("AWS::ECS::TaskDefinition").values()
    (container,) = task["ContainerDefinitions"]
    assert {"Type": "GPU", "Value": str(cloud_stage.config.inference.gpu_per_task)} in container["ResourceRequirements"]
    assert any(arg.startswith("--model-repository=s3://") for arg in json.dumps(container["Command"]).split('"'))
    (service,) = cloud_stage.props("AWS::ECS::Service").values()
    assert service["CapacityProviderStrategy"]
    assert len(service["LoadBalancers"]) == 2
    (launch_template,) = cloud_stage.props("AWS::EC2::LaunchTemplate").values()
    data = launch_template["LaunchTemplateData"]
    assert data["InstanceType"] == cloud_stage.config.inference.instance_type
    assert "gpu" in json.dumps(cloud_stage.template["Parameters"]).lower(), "ECS GPU-optimized AMI parameter"
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    (nlb,) = cloud_stage.props("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert nlb["Scheme"] == "internal" and nlb["Type"] == "network"
    policies = cloud_stage.props("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert {p["PolicyType"] for p in policies} == {"StepScaling", "TargetTrackingScaling"}


def test_database_is_aurora_serverless_v2_behind_a_proxy(cloud_stage: SynthesizedStage) -> None:
    (cluster,) = cloud_stage.props("AWS::RDS::DBCluster").values()
    assert cluster["Engine"] == "aurora-postgresql"
    assert cluster["StorageEncrypted"] is True
    assert cluster["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == cloud_stage.config.database.max_acu
    (proxy,) = cloud_stage.props("AWS::RDS::DBProxy").values()
    assert proxy["RequireTLS"] is True
    # Migrations run at deploy time through a CDK trigger invoking the migration function.
    assert cloud_stage.resources("Custom::Trigger")


# --- per-stage policies ---------------------------------------------------------------------------------


def test_prod_protects_and_retains_data(synthesized: dict[str, SynthesizedStage]) -> None:
    prod = synthesized["prod"]
    (cluster_res,) = prod.resources("AWS::RDS::DBCluster").values()
    assert cluster_res["Properties"]["DeletionProtection"] is True
    assert cluster_res["DeletionPolicy"] in {"Retain", "Snapshot"}
    assert cluster_res["Properties"]["BackupRetentionPeriod"] == 14
    for logical_id, bucket in prod.resources("AWS::S3::Bucket").items():
        assert bucket["DeletionPolicy"] == "Retain", logical_id
    assert not prod.resources("Custom::S3AutoDeleteObjects")
    retention = {p["RetentionInDays"] for p in prod.props("AWS::Logs::LogGroup").values()}
    assert min(retention) >= 90


def test_dev_auto_deletes_everything(synthesized: dict[str, SynthesizedStage]) -> None:
    dev = synthesized["dev"]
    buckets = dev.resources("AWS::S3::Bucket")
    auto_deleted = {_ref(p["Properties"]["BucketName"]) for p in dev.resources("Custom::S3AutoDeleteObjects").values()}
    assert auto_deleted == set(buckets)
    for logical_id, bucket in buckets.items():
        assert bucket["DeletionPolicy"] == "Delete", logical_id
    (cluster_res,) = dev.resources("AWS::RDS::DBCluster").values()
    assert cluster_res["Properties"]["DeletionProtection"] is False
    assert cluster_res["DeletionPolicy"] == "Delete"


# --- workflow, observability, outputs ----------------------------------------------------------------


def test_state_machine_routes_every_step_through_a_task_token_queue(stage: SynthesizedStage) -> None:
    (machine,) = stage.props("AWS::StepFunctions::StateMachine").values()
    definition_text = json.dumps(machine["DefinitionString"])
    assert definition_text.count("arn:") > 0
    assert "sqs:sendMessage.waitForTaskToken" in definition_text
    for state in ("Prepare", "TranscribeChunks", "TranscribeChunk", "Assemble", "RecordSucceeded", "RecordFailed"):
        assert f'\\"{state}\\"' in definition_text, state
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["Level"] == "ALL"


def test_cloud_stages_alarm_on_dlqs_5xx_latency_jobs_and_triton(cloud_stage: SynthesizedStage) -> None:
    alarms = cloud_stage.props("AWS::CloudWatch::Alarm")
    descriptions = [a["AlarmDescription"] for a in alarms.values()]
    assert sum("DLQ" in d for d in descriptions) == len(names.ALL_QUEUES)
    for needle in ("5xx", "p99", "Batch jobs failed", "Triton"):
        assert any(needle in d for d in descriptions), needle
    assert all(a["AlarmActions"] for a in alarms.values())
    assert cloud_stage.resources("AWS::CloudWatch::Dashboard")


def test_outputs_name_everything_the_local_runtime_needs(stage: SynthesizedStage) -> None:
    outputs = stage.template["Outputs"]
    required = {
        names.OUT_STAGE,
        names.OUT_REST_API_URL,
        names.OUT_STATE_MACHINE_ARN,
        names.OUT_TRITON_URL,
        *(names.out_bucket(b) for b in (names.BUCKET_INGEST, names.BUCKET_AUDIO, names.BUCKET_RESULTS)),
        *(names.out_queue_url(q) for q in names.ALL_QUEUES),
        *(names.out_dlq_url(q) for q in names.ALL_QUEUES),
        *(names.out_function_name(spec.id) for spec in FUNCTIONS),
    }
    assert required <= set(outputs)
    assert outputs[names.OUT_STAGE]["Value"] == stage.stage


def test_stack_stays_under_cloudformation_limits(stage: SynthesizedStage) -> None:
    # 490: the console's CORS preflight is one MOCK method per routed resource (23); CloudFormation stops at 500
    assert len(stage.template["Resources"]) < 490, "CloudFormation allows 500 resources per stack"
    assert len(stage.template["Outputs"]) <= 200
    assert stage.template_path.stat().st_size < 1_000_000, "templates over 1 MB cannot be deployed"
