"""REST API: API Gateway with the Lambda REQUEST authorizer on every route except GET /v1/health.

Routes come from the function catalog (`rest_routes`), so nothing about them is written twice. Per-key
limits are the project's own limiter (the authorizer returns the key's limits; the core enforces them in
PostgreSQL); the gateway adds only a stage-wide throttle as a safety net. See infra_cdk/README.md for why.
"""

from __future__ import annotations

import json

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra_cdk import names
from infra_cdk.capabilities.retention import log_retention
from infra_cdk.config import StageConfig
from infra_cdk.function_catalog import FUNCTIONS, REST_AUTHORIZER_ID
from infra_cdk.nag_acknowledgments import acknowledge
from speech_core.errors import ErrorCode
from speech_core.settings import CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS

# Media types API Gateway passes through as binary (audio uploads/downloads on the sync routes).
BINARY_MEDIA_TYPES = ["audio/*", "application/octet-stream", "multipart/form-data"]

# Gateway-made errors in the platform's error shape: {"error": {"code", "message", "requestId"}}.
_GATEWAY_ERRORS: dict[apigw.ResponseType, tuple[str | None, ErrorCode | str, str]] = {
    apigw.ResponseType.UNAUTHORIZED: ("401", ErrorCode.AUTH_MISSING_KEY, "An API key is required."),
    # The authorizer's Deny carries why (auth.invalid_key / revoked_key / expired_key) in its context.
    apigw.ResponseType.ACCESS_DENIED: ("403", "$context.authorizer.errorCode", "$context.authorizer.errorMessage"),
    apigw.ResponseType.THROTTLED: ("429", ErrorCode.RATE_LIMITED, "Too many requests."),
    apigw.ResponseType.REQUEST_TOO_LARGE: ("413", ErrorCode.REQUEST_TOO_LARGE, "The body exceeds 10 MB."),
    apigw.ResponseType.INTEGRATION_TIMEOUT: ("504", ErrorCode.MODEL_TIMEOUT, "The request took over 29 s."),
    # The defaults keep the status API Gateway chose (404 unknown route, 415, 502...), only the body changes.
    apigw.ResponseType.DEFAULT_4_XX: (None, ErrorCode.REQUEST_INVALID, "$context.error.message"),
    apigw.ResponseType.DEFAULT_5_XX: (None, ErrorCode.INTERNAL, "$context.error.message"),
}


class RestApi(Construct):
    """The REST API, its REQUEST authorizer, stage settings, access logs and gateway error bodies."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: dict[str, lambda_.IFunction],
        cors_origin: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        #: the one origin browsers may call from (the stage's console); None: no CORS at all
        self._cors_origin = cors_origin
        self.api = self._api(self._access_logs())
        self._authorizer(functions)
        self._request_validator()
        self._routes(functions)
        self._gateway_responses()
        self._custom_domain()
        self._acknowledge_findings()

    def _access_logs(self) -> logs.LogGroup:
        """The log group the stage writes its JSON access logs to."""
        return logs.LogGroup(
            self,
            "AccessLogs",
            retention=log_retention(self._config.api.access_log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _api(self, access_logs: logs.LogGroup) -> apigw.RestApi:
        """The regional REST API and its stage: throttle, execution logs without bodies, metrics, tracing."""
        config = self._config
        cfg = config.api
        return apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"{names.resource_prefix(config.stage)}-api",
            description="Speech platform: ASR, TTS, NMT, pipelines, jobs (ULCA-compatible)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            binary_media_types=BINARY_MEDIA_TYPES,
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                throttling_rate_limit=cfg.throttle_rate,
                throttling_burst_limit=cfg.throttle_burst,
                logging_level=apigw.MethodLoggingLevel.INFO,
                data_trace_enabled=False,  # bodies carry audio and API keys: never log them
                metrics_enabled=True,
                tracing_enabled=config.functions.tracing,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
            ),
        )

    def _authorizer(self, functions: dict[str, lambda_.IFunction]) -> None:
        """The Lambda REQUEST authorizer (API key -> tenant, scopes, limits) the authorized routes use."""
        cfg = self._config.api
        self.authorizer = apigw.RequestAuthorizer(
            self,
            "Authorizer",
            handler=functions[REST_AUTHORIZER_ID],
            identity_sources=list(cfg.rest_identity_sources),
            results_cache_ttl=Duration.seconds(cfg.authorizer_cache_ttl_s),
        )

    def _request_validator(self) -> None:
        """The request validator every method uses."""
        self.validator = self.api.add_request_validator(
            # Validates path/query parameters declared on methods; bodies are validated by the handlers'
            # pydantic models (ULCA shapes are richer than API Gateway JSON-schema models express well).
            "RequestValidator",
            validate_request_parameters=True,
            validate_request_body=True,
        )

    def _routes(self, functions: dict[str, lambda_.IFunction]) -> None:
        """One method per catalog route, integrated with its function; all but the health check authorized."""
        routed: dict[str, apigw.Resource] = {}
        for spec in FUNCTIONS:
            if not spec.rest_routes:
                continue
            integration = apigw.LambdaIntegration(functions[spec.id], allow_test_invoke=False)
            for route in spec.rest_routes:
                resource = routed[route.path] = self.api.root.resource_for_path(route.path)
                path_params = {
                    f"method.request.path.{part[1:-1]}": True for part in route.path.split("/") if part.startswith("{")
                }
                method = resource.add_method(
                    route.method,
                    integration,
                    authorizer=self.authorizer if route.authorized else None,
                    authorization_type=(
                        apigw.AuthorizationType.CUSTOM if route.authorized else apigw.AuthorizationType.NONE
                    ),
                    request_validator=self.validator,
                    request_parameters=path_params or None,
                )
                if not route.authorized:
                    reason = (
                        f"{route.method} {route.path} is the public health check (uptime probes call it "
                        "without a key); it returns status only."
                    )
                    acknowledge(method, "AwsSolutions-APIG4", reason)
                    acknowledge(method, "AwsSolutions-COG4", reason)

        if self._cors_origin:
            for resource in routed.values():
                self._preflight(resource, self._cors_origin)

    def _preflight(self, resource: apigw.Resource, origin: str) -> None:
        """OPTIONS answered by the gateway itself (MOCK) for exactly the console's origin, on the resources that
        carry routes only (not on the intermediate path parts: the stack stays well under 500 resources); the
        functions add the same origin to their answers (speech_core.api.http_app.cors_config)."""
        resource.add_cors_preflight(
            allow_origins=[origin],
            allow_headers=list(CORS_ALLOW_HEADERS),
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            max_age=Duration.minutes(10),
        )

    def _gateway_responses(self) -> None:
        """Gateway-made errors (401, 403, 429, 413, 504, other 4xx/5xx) in the platform's error body."""
        for response_type, (status, code, message) in _GATEWAY_ERRORS.items():
            body = {"error": {"code": str(code), "message": message, "requestId": "$context.requestId"}}
            self.api.add_gateway_response(
                f"Gateway{response_type.response_type}",
                type=response_type,
                status_code=status,
                # the console reads the error's code and message (a wrong key is a gateway 403) across origins
                response_headers=(
                    {
                        "Access-Control-Allow-Origin": f"'{self._cors_origin}'",
                        "Access-Control-Expose-Headers": f"'{','.join(CORS_EXPOSE_HEADERS)}'",
                        "Vary": "'Origin'",
                    }
                    if self._cors_origin
                    else None
                ),
                templates={"application/json": json.dumps(body)},
            )

    @property
    def base_url(self) -> str:
        """The stage's base URL (https://<id>.execute-api.<region>.<suffix>/<stage>/ or the custom domain),
        built from the API's id alone: unlike `api.url` it does not wait for the deployment, so what the
        deployment depends on (the CORS origin) may depend on it."""
        cfg = self._config.api
        if cfg.domain_name:
            return f"https://{cfg.domain_name}/"
        return f"https://{self.api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{self._config.stage}/"

    def _custom_domain(self) -> None:
        """The stage's custom domain name (TLS 1.2), where it has one."""
        cfg = self._config.api
        if cfg.domain_name and cfg.certificate_arn:
            self.api.add_domain_name(
                "Domain",
                domain_name=cfg.domain_name,
                certificate=acm.Certificate.from_certificate_arn(self, "Certificate", cfg.certificate_arn),
                security_policy=apigw.SecurityPolicy.TLS_1_2,
            )

    def _acknowledge_findings(self) -> None:
        """cdk-nag findings of the API, each with its reason."""
        acknowledge(
            self.api,
            "AwsSolutions-APIG3",
            "No WAF web ACL: callers are API-key tenants behind the Lambda authorizer and a stage throttle; "
            "a WAF ACL is an account-level add-on documented in docs/deploy.md.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-COG4",
            "Tenants authenticate with API keys (ULCA/Dhruva clients send them), verified by the Lambda REQUEST "
            "authorizer, not Cognito user pools.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "AmazonAPIGatewayPushToCloudWatchLogs is the AWS-managed policy API Gateway's account-level logging "
            "role is documented to use.",
        )
