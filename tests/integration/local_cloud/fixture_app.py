"""A small CDK app with the resource types the real app uses, synthesized for the local-cloud tests."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as ws_authorizers
from aws_cdk import aws_apigatewayv2_integrations as ws_integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

FUNCTIONS = Path(__file__).with_name("fixture_functions")
STACK_NAME = "LocalCloudFixture"
AUTHORIZER_TTL_S = 2
MAX_RECEIVE_COUNT = 2
THROTTLE_RATE = 1
THROTTLE_BURST = 3
#: the IAM probe's role: s3:PutObject and s3:GetObject on <bucket>/a/*, an explicit Deny of s3:* on a/denied/*
GRANTED_PREFIX = "a/"
DENIED_PREFIX = "a/denied/"
#: the runtime's init limit in these tests (AWS: 10 s; LOCAL_CLOUD_LAMBDA_INIT_TIMEOUT_S), so tests need not wait 10 s
INIT_LIMIT_S = 2.0
SLOW_INIT_S = 3.0  # sleeps past the init limit, well inside its 10 s timeout
BURST_INIT_CPU_S = 2.5  # CPU seconds per init: 10 at once on 2 cores take > 10 s each without an init gate
OVER_TIMEOUT_INIT_S = 8.0  # sleeps past its whole 3 s timeout
OVER_TIMEOUT_TIMEOUT_S = 3


def build(outdir: Path) -> Path:
    """Synthesizes the fixture stack into `outdir` and returns it."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, STACK_NAME)
    code = lambda_.Code.from_asset(str(FUNCTIONS))

    def function(
        name: str, handler: str, timeout_s: int = 10, reserved: int | None = None, **env: str
    ) -> lambda_.Function:
        return lambda_.Function(
            stack,
            name,
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler=handler,
            code=code,
            timeout=cdk.Duration.seconds(timeout_s),
            environment=env or None,
            reserved_concurrent_executions=reserved,
        )

    dead_letters = sqs.Queue(stack, "WorkDlq")
    work = sqs.Queue(
        stack,
        "WorkQueue",
        visibility_timeout=cdk.Duration.seconds(2),
        dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=MAX_RECEIVE_COUNT),
    )
    events = sqs.Queue(stack, "EventsQueue")

    authorizer_fn = function("Authorizer", "authorizer.handler")
    echo = function(
        "Echo", "echo.handler", timeout_s=5, GREETING="hello from the template", WORK_QUEUE_URL=work.queue_url
    )
    worker = function("Worker", "worker.handler")
    worker.add_event_source(
        event_sources.SqsEventSource(
            work, batch_size=5, max_batching_window=cdk.Duration.seconds(1), report_batch_item_failures=True
        )
    )

    api = apigw.RestApi(
        stack, "Api", binary_media_types=["audio/*"], deploy_options=apigw.StageOptions(stage_name="v0")
    )
    authorizer = apigw.RequestAuthorizer(
        stack,
        "KeyAuthorizer",
        handler=authorizer_fn,
        identity_sources=[apigw.IdentitySource.header("x-api-key")],
        results_cache_ttl=cdk.Duration.seconds(AUTHORIZER_TTL_S),
    )
    api.add_gateway_response(
        "Unauthorized",
        type=apigw.ResponseType.UNAUTHORIZED,
        status_code="401",
        templates={
            "application/json": '{"error": {"code": "auth.missing_key", '
            '"message": $context.error.messageString, "requestId": "$context.requestId"}}'
        },
    )
    items = api.root.add_resource("items").add_resource("{id}")
    items.add_method("GET", apigw.LambdaIntegration(echo), authorizer=authorizer)
    api.root.add_resource("open").add_method("ANY", apigw.LambdaIntegration(echo))
    api.root.add_resource("audio").add_method("POST", apigw.LambdaIntegration(echo))
    fast = api.root.add_resource("fast")
    fast.add_method("GET", apigw.LambdaIntegration(echo, timeout=cdk.Duration.seconds(1)))

    # Lambda init semantics: slow inits (suppressed init past the init limit), a cold burst, an init longer
    # than the whole timeout, and a function reserved to one concurrent execution (throttling)
    init = api.root.add_resource("init")
    slow_init = function("SlowInit", "slow_init.handler", INIT_SECONDS=str(SLOW_INIT_S))
    init.add_resource("slow").add_method("GET", apigw.LambdaIntegration(slow_init))
    burst_init = function("BurstInit", "slow_init.handler", INIT_SECONDS=str(BURST_INIT_CPU_S), INIT_MODE="burn")
    init.add_resource("burst").add_method("GET", apigw.LambdaIntegration(burst_init))
    over_timeout = function(
        "InitOverTimeout", "slow_init.handler", timeout_s=OVER_TIMEOUT_TIMEOUT_S, INIT_SECONDS=str(OVER_TIMEOUT_INIT_S)
    )
    init.add_resource("over-timeout").add_method("GET", apigw.LambdaIntegration(over_timeout))
    reserved_one = function("ReservedOne", "slow_init.handler", reserved=1)
    api.root.add_resource("reserved").add_method("GET", apigw.LambdaIntegration(reserved_one))

    # a second API whose stage throttle is tiny, so the throttle can be observed without slowing the others
    throttled = apigw.RestApi(
        stack,
        "ThrottledApi",
        deploy_options=apigw.StageOptions(
            stage_name="v0", throttling_rate_limit=THROTTLE_RATE, throttling_burst_limit=THROTTLE_BURST
        ),
    )
    throttled.root.add_method(
        "GET",
        apigw.MockIntegration(
            integration_responses=[apigw.IntegrationResponse(status_code="200")],
            request_templates={"application/json": '{"statusCode": 200}'},
        ),
        method_responses=[apigw.MethodResponse(status_code="200")],
    )

    ws_fn = function("WebSocketHandler", "websocket.handler", EVENTS_QUEUE_URL=events.queue_url)
    ws = apigwv2.WebSocketApi(
        stack,
        "Ws",
        connect_route_options=apigwv2.WebSocketRouteOptions(
            integration=ws_integrations.WebSocketLambdaIntegration("Connect", ws_fn),
            authorizer=ws_authorizers.WebSocketLambdaAuthorizer(
                "WsAuthorizer", authorizer_fn, identity_source=["route.request.querystring.key"]
            ),
        ),
        disconnect_route_options=apigwv2.WebSocketRouteOptions(
            integration=ws_integrations.WebSocketLambdaIntegration("Disconnect", ws_fn)
        ),
        default_route_options=apigwv2.WebSocketRouteOptions(
            integration=ws_integrations.WebSocketLambdaIntegration("DefaultMessages", ws_fn)
        ),
    )
    ws.add_route("echo", integration=ws_integrations.WebSocketLambdaIntegration("Echo", ws_fn))
    ws_stage = apigwv2.WebSocketStage(stack, "WsStage", web_socket_api=ws, stage_name="live", auto_deploy=True)
    ws_fn.add_environment("CONNECTIONS_URL", ws_stage.callback_url)

    # IAM enforcement: one function granted a prefix of a bucket (with a Deny inside it), one granted nothing
    bucket = s3.Bucket(stack, "IamBucket", removal_policy=cdk.RemovalPolicy.DESTROY)
    granted = function("IamProbe", "iam_probe.handler", BUCKET=bucket.bucket_name, WORK_QUEUE_URL=work.queue_url)
    granted.add_to_role_policy(
        iam.PolicyStatement(actions=["s3:PutObject", "s3:GetObject"], resources=[bucket.arn_for_objects("a/*")])
    )
    granted.add_to_role_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY, actions=["s3:*"], resources=[bucket.arn_for_objects(f"{DENIED_PREFIX}*")]
        )
    )
    ungranted = function(
        "IamProbeWithoutGrants", "iam_probe.handler", BUCKET=bucket.bucket_name, WORK_QUEUE_URL=work.queue_url
    )
    probes = api.root.add_resource("iam")
    probes.add_resource("granted").add_method("POST", apigw.LambdaIntegration(granted))
    probes.add_resource("ungranted").add_method("POST", apigw.LambdaIntegration(ungranted))

    # what the other fixture functions call, granted as a real deployment needs it
    events.grant_send_messages(ws_fn)
    ws_stage.grant_management_api_access(ws_fn)

    double = tasks.SqsSendMessage(
        stack,
        "Double",
        queue=work,
        integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        message_body=sfn.TaskInput.from_object(
            {"taskToken": sfn.JsonPath.task_token, "value": sfn.JsonPath.number_at("$.value")}
        ),
    )
    machine = sfn.StateMachine(stack, "Doubler", definition_body=sfn.DefinitionBody.from_chainable(double))
    machine.grant_task_response(worker)

    cdk.CfnOutput(stack, "ApiUrl", value=api.url)
    cdk.CfnOutput(stack, "ThrottledApiUrl", value=throttled.url)
    cdk.CfnOutput(stack, "WebSocketUrl", value=ws_stage.url)
    cdk.CfnOutput(stack, "WorkQueueUrl", value=work.queue_url)
    cdk.CfnOutput(stack, "WorkDlqUrl", value=dead_letters.queue_url)
    cdk.CfnOutput(stack, "EventsQueueUrl", value=events.queue_url)
    cdk.CfnOutput(stack, "StateMachineArn", value=machine.state_machine_arn)
    cdk.CfnOutput(stack, "IamBucketName", value=bucket.bucket_name)
    app.synth()
    return outdir
