"""WebSocket API: live streaming ($connect authorized; $disconnect, $default, start, audio, stop).

One stream function serves every route (routes come from the catalog's `websocket_routes`); it pushes
partials and finals back through the @connections management API, whose URL it gets as
WEBSOCKET_CALLBACK_URL.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra_cdk import names
from infra_cdk.capabilities.retention import log_retention
from infra_cdk.config import StageConfig
from infra_cdk.function_catalog import FUNCTIONS, WEBSOCKET_AUTHORIZER_ID, Access, FunctionSpec
from infra_cdk.nag_acknowledgments import acknowledge

ROUTE_SELECTION_EXPRESSION = "$request.body.action"


class WebSocketApi(Construct):
    """The WebSocket API, its $connect authorizer, the routes and an auto-deployed stage."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: dict[str, lambda_.Function],
        invoke_targets: dict[str, lambda_.IFunction],
    ) -> None:
        """`invoke_targets` is what API Gateway invokes (the `live` alias where SnapStart is on); `functions`
        the functions themselves, which get the @connections grant and the callback URL."""
        super().__init__(scope, construct_id)
        self._config = config
        handlers = [spec for spec in FUNCTIONS if spec.websocket_routes]
        authorizer = self._connect_authorizer(invoke_targets)
        self.api = self._api()
        self._routes(handlers, invoke_targets, authorizer)
        self.stage = self._stage(self._access_logs())
        self.callback_url = self.stage.callback_url
        self._connection_management([spec for spec in FUNCTIONS if Access.WEBSOCKET_MANAGE in spec.access], functions)

    def _connect_authorizer(self, functions: dict[str, lambda_.IFunction]) -> authorizers.WebSocketLambdaAuthorizer:
        """The Lambda authorizer of $connect (API key -> tenant, scopes, limits).

        No identity source (`api.websocket_identity_sources: []`): API Gateway answers 401 itself, without calling
        the authorizer, to a request missing any listed source, and the key comes in one of several places (a
        header, the `speech.v1` subprotocol offer from browsers, `?key=`), so listing one would lock out the
        others; without a source the authorizer sees every upgrade and nothing is cached.
        """
        return authorizers.WebSocketLambdaAuthorizer(
            "ConnectAuthorizer",
            functions[WEBSOCKET_AUTHORIZER_ID],
            identity_source=list(self._config.api.websocket_identity_sources),
        )

    def _api(self) -> apigwv2.WebSocketApi:
        """The WebSocket API, routing on the message's `action`."""
        return apigwv2.WebSocketApi(
            self,
            "Api",
            api_name=f"{names.resource_prefix(self._config.stage)}-stream",
            description="Speech platform: live ASR streaming",
            route_selection_expression=ROUTE_SELECTION_EXPRESSION,
        )

    def _routes(
        self,
        handlers: list[FunctionSpec],
        functions: dict[str, lambda_.IFunction],
        authorizer: authorizers.WebSocketLambdaAuthorizer,
    ) -> None:
        """One route per catalog route key, integrated with its function; $connect authorized."""
        for spec in handlers:
            fn = functions[spec.id]
            for route_key in spec.websocket_routes:
                integration = integrations.WebSocketLambdaIntegration(f"{spec.id}{_route_id(route_key)}", fn)
                route = self.api.add_route(
                    route_key,
                    integration=integration,
                    authorizer=authorizer if route_key == "$connect" else None,
                )
                if route_key != "$connect":
                    # API Gateway WebSocket APIs authorize only $connect; later frames ride that connection.
                    acknowledge(
                        route,
                        "AwsSolutions-APIG4",
                        "WebSocket APIs authorize at $connect only; this route runs on an already authorized "
                        "connection (API Gateway offers no per-route authorizers after $connect).",
                    )

    def _access_logs(self) -> logs.LogGroup:
        """The log group the stage writes its JSON access logs to."""
        return logs.LogGroup(
            self,
            "AccessLogs",
            retention=log_retention(self._config.api.access_log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _stage(self, access_logs: logs.LogGroup) -> apigwv2.WebSocketStage:
        """The auto-deployed, throttled stage, with connection-level access logs."""
        cfg = self._config.api
        stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=self._config.stage,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=cfg.throttle_rate, burst_limit=cfg.throttle_burst),
        )
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigwv2.CfnStage)
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn,
            format=(
                '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
                '"routeKey":"$context.routeKey","status":"$context.status",'
                '"connectionId":"$context.connectionId","eventType":"$context.eventType"}'
            ),
        )
        return stage

    def _connection_management(self, handlers: list[FunctionSpec], functions: dict[str, lambda_.Function]) -> None:
        """These functions may post to the connections (@connections) and get the callback URL."""
        for spec in handlers:
            fn = functions[spec.id]
            self.api.grant_manage_connections(fn)
            assert fn.role is not None
            acknowledge(
                fn.role,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
                f"<{Stack.of(self).resolve(self.api.api_id)['Ref']}>/*/*/@connections/*]",
                "@connections ids are made per client connection at run time; the grant is limited to this API.",
            )
            fn.add_environment("WEBSOCKET_CALLBACK_URL", self.callback_url)


def _route_id(route_key: str) -> str:
    return route_key.strip("$").capitalize()
