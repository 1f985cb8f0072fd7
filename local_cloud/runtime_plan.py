"""What the local runtime plays, read from the synthesized template: functions, REST and WebSocket APIs,
SQS event-source mappings, and the stack outputs with local endpoints.

Nothing here is configured by hand: every route, handler, environment variable, timeout, batch size,
authorizer and role policy comes from the template, with references resolved to the resources LocalStack
holds (through the deployer's `ref_values`) and to the local endpoints of the played APIs.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from local_cloud.cfn_intrinsics import REGION, IntrinsicResolver, UnresolvableError, references
from local_cloud.cloudformation_deployer import DeployedStack
from local_cloud.iam_role_policies import AccountFacts, RoleSpec, function_role
from local_cloud.template_split import api_id, placeholder_att, placeholder_ref

#: resource types the runtime plays; anything else left out of LocalStack is reported as not run locally
PLAYED_TYPE_PREFIXES = ("AWS::Lambda::", "AWS::ApiGateway::", "AWS::ApiGatewayV2::")
DEFAULT_AUTHORIZER_TTL_S = 300  # CloudFormation's default for AuthorizerResultTtlInSeconds
DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000


class FunctionSpec(BaseModel):
    logical_id: str
    name: str
    handler: str
    runtime: str
    code_dir: Path
    layer_dirs: list[Path]
    environment: dict[str, str]
    timeout_s: int
    memory_mb: int
    reserved_concurrency: int | None
    role: RoleSpec


class AuthorizerSpec(BaseModel):
    logical_id: str
    type: Literal["TOKEN", "REQUEST"]
    function: str
    identity_sources: list[str]  # e.g. method.request.header.x-api-key / route.request.querystring.key
    ttl_s: int
    validation_expression: str | None = None


class RestMethodSpec(BaseModel):
    resource_path: str  # /v1/items/{id}
    http_method: str  # GET, POST, ..., ANY
    authorization_type: str
    authorizer: str | None
    integration_type: str  # AWS_PROXY, MOCK
    function: str | None
    timeout_ms: int
    mock_status: int = 200
    mock_headers: dict[str, str] = {}


class GatewayResponseSpec(BaseModel):
    """An AWS::ApiGateway::GatewayResponse: the body/status API Gateway uses for its own errors."""

    status: int | None
    templates: dict[str, str]
    headers: dict[str, str]


class RestApiSpec(BaseModel):
    logical_id: str
    api_id: str
    stage: str
    binary_media_types: list[str]
    methods: list[RestMethodSpec]
    authorizers: dict[str, AuthorizerSpec]
    gateway_responses: dict[str, GatewayResponseSpec] = {}
    throttle_rate: float | None = None  # stage-wide MethodSettings (HttpMethod "*", ResourcePath "/*")
    throttle_burst: int | None = None


class WebSocketRouteSpec(BaseModel):
    route_key: str
    function: str
    authorizer: str | None
    returns_response: bool


class WebSocketApiSpec(BaseModel):
    logical_id: str
    api_id: str
    stage: str
    route_selection_expression: str
    routes: dict[str, WebSocketRouteSpec]
    authorizers: dict[str, AuthorizerSpec]


class EventSourceMappingSpec(BaseModel):
    logical_id: str
    function: str
    queue_arn: str
    batch_size: int
    window_s: int
    report_batch_item_failures: bool
    enabled: bool
    maximum_concurrency: int | None


class LocalEndpoints(BaseModel):
    """Where the played APIs listen: api id -> http base URL (no stage), e.g. http://127.0.0.1:40123."""

    http_base: dict[str, str]


class RuntimePlan(BaseModel):
    stack_name: str
    localstack_endpoint: str
    functions: dict[str, FunctionSpec]  # by function name
    rest_apis: list[RestApiSpec]
    websocket_apis: list[WebSocketApiSpec]
    mappings: list[EventSourceMappingSpec]
    outputs: dict[str, str]
    account: AccountFacts


def api_logical_ids(template: dict[str, Any]) -> list[str]:
    """Logical ids of every REST and WebSocket API: the runtime binds one port for each."""
    return [
        lid
        for lid, r in template.get("Resources", {}).items()
        if r["Type"] == "AWS::ApiGateway::RestApi"
        or (r["Type"] == "AWS::ApiGatewayV2::Api" and r.get("Properties", {}).get("ProtocolType") == "WEBSOCKET")
    ]


def build_plan(deployed: DeployedStack, endpoints: LocalEndpoints, state_dir: Path) -> RuntimePlan:
    """Reads every played resource of the template into a runtime plan, with local values."""
    template = _TemplateReader(deployed, endpoints, state_dir)
    functions = _functions(template)
    return RuntimePlan(
        stack_name=template.stack_name,
        localstack_endpoint=deployed.localstack_endpoint,
        functions=functions,
        rest_apis=_rest_apis(template),
        websocket_apis=_websocket_apis(template),
        mappings=_event_source_mappings(template),
        outputs=_outputs(template),
        account=_account_facts(template),
    )


class _TemplateReader:
    """The template with its values resolved locally, and the lookups every plan step shares."""

    def __init__(self, deployed: DeployedStack, endpoints: LocalEndpoints, state_dir: Path) -> None:
        self.deployed = deployed
        self.endpoints = endpoints
        self.state_dir = state_dir
        self.template = deployed.stack.template()
        self.resources: dict[str, Any] = self.template.get("Resources", {})
        self.stack_name = deployed.stack.stack_name
        self.resolver = IntrinsicResolver(
            ref=lambda lid: _ref(lid, self.resources, deployed, self.stack_name),
            get_att=lambda lid, att: _att(lid, att, self.resources, deployed, self.stack_name),
            stack_name=self.stack_name,
        )
        #: function logical id -> function name
        self.function_by_lid: dict[str, str] = {
            lid: placeholder_ref(self.stack_name, lid, r)
            for lid, r in self.resources.items()
            if r["Type"] == "AWS::Lambda::Function"
        }

    def resolve(self, value: Any) -> Any:
        """`value` with its intrinsics evaluated and execute-api URLs pointing at the local APIs."""
        return _localize(self.resolver.resolve(value), self.endpoints)

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Properties of every resource of `resource_type`, by logical id."""
        return {lid: r.get("Properties", {}) for lid, r in self.resources.items() if r["Type"] == resource_type}

    def function_of(self, uri_value: Any) -> str:
        """The function an integration or authorizer URI invokes."""
        for ref, _ in references(uri_value):
            if ref in self.function_by_lid:
                return self.function_by_lid[ref]
        match = re.search(r"function:([A-Za-z0-9_-]+)", str(self.resolve(uri_value)))
        if not match or match.group(1) not in self.function_by_lid.values():
            raise UnresolvableError(f"integration {uri_value!r} names no function of the template")
        return match.group(1)

    @staticmethod
    def owner(props: dict[str, Any], key: str) -> str | None:
        """The logical id `props[key]` refers to (RestApiId, ResourceId, ApiId...)."""
        refs = [ref for ref, _ in references(props.get(key))]
        return refs[0] if refs else None

    def authorizer_spec(self, lid: str, props: dict[str, Any], v2: bool) -> AuthorizerSpec:
        sources = props.get("IdentitySource", [])
        if isinstance(sources, str):
            sources = [s.strip() for s in sources.split(",") if s.strip()]
        kind = props.get("AuthorizerType" if v2 else "Type", "TOKEN")
        return AuthorizerSpec(
            logical_id=lid,
            type=kind,
            function=self.function_of(props["AuthorizerUri"]),
            identity_sources=sources,
            ttl_s=int(props.get("AuthorizerResultTtlInSeconds", 0 if v2 else DEFAULT_AUTHORIZER_TTL_S)),
            validation_expression=props.get("IdentityValidationExpression"),
        )


def _functions(t: _TemplateReader) -> dict[str, FunctionSpec]:
    """AWS::Lambda::Function: handler, code and layer directories, environment, limits and role."""
    asset_dirs = t.deployed.stack.asset_dirs()
    functions: dict[str, FunctionSpec] = {}
    for lid, props in t.of_type("AWS::Lambda::Function").items():
        name = t.function_by_lid[lid]
        layers = [
            _code_dir(t.resources[ref]["Properties"]["Content"], asset_dirs, t.state_dir, ref)
            for layer in props.get("Layers", [])
            for ref, _ in references(layer)
            if t.resources.get(ref, {}).get("Type") == "AWS::Lambda::LayerVersion"
        ]
        environment = t.resolve(props.get("Environment", {}).get("Variables", {}))
        functions[name] = FunctionSpec(
            logical_id=lid,
            name=name,
            handler=props["Handler"],
            runtime=props.get("Runtime", "python3.12"),
            code_dir=_code_dir(props["Code"], asset_dirs, t.state_dir, lid),
            layer_dirs=[d / "python" if (d / "python").is_dir() else d for d in layers],
            environment={k: _as_env_string(v) for k, v in environment.items()},
            timeout_s=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            reserved_concurrency=props.get("ReservedConcurrentExecutions"),
            role=function_role(lid, t.resources, t.resolver.resolve),
        )
    return functions


def _rest_apis(t: _TemplateReader) -> list[RestApiSpec]:
    """AWS::ApiGateway::RestApi with its resource tree, methods, authorizers, stage and gateway responses."""
    rest_apis = []
    for api_lid, api_props in t.of_type("AWS::ApiGateway::RestApi").items():
        stage_props = [p for p in t.of_type("AWS::ApiGateway::Stage").values() if t.owner(p, "RestApiId") == api_lid]
        stages = [p["StageName"] for p in stage_props]
        stage_wide = [
            m
            for p in stage_props[:1]
            for m in p.get("MethodSettings", [])
            if m.get("HttpMethod") == "*" and m.get("ResourcePath") == "/*"
        ]
        rest_apis.append(
            RestApiSpec(
                logical_id=api_lid,
                api_id=api_id(api_lid),
                stage=(stages or ["prod"])[0],
                binary_media_types=api_props.get("BinaryMediaTypes", []),
                methods=_rest_methods(t, api_lid),
                authorizers={
                    lid: t.authorizer_spec(lid, p, v2=False)
                    for lid, p in t.of_type("AWS::ApiGateway::Authorizer").items()
                    if t.owner(p, "RestApiId") == api_lid
                },
                gateway_responses=_gateway_responses(t, api_lid),
                throttle_rate=(stage_wide or [{}])[0].get("ThrottlingRateLimit"),
                throttle_burst=(stage_wide or [{}])[0].get("ThrottlingBurstLimit"),
            )
        )
    return rest_apis


def _rest_methods(t: _TemplateReader, api_lid: str) -> list[RestMethodSpec]:
    paths = _resource_paths(api_lid, t.of_type("AWS::ApiGateway::Resource"))
    methods = []
    for p in t.of_type("AWS::ApiGateway::Method").values():
        if t.owner(p, "RestApiId") != api_lid:
            continue
        resource_ref = t.owner(p, "ResourceId")
        integration = p.get("Integration", {})
        kind = integration.get("Type", "MOCK")
        mock_response = (integration.get("IntegrationResponses") or [{}])[0]
        methods.append(
            RestMethodSpec(
                resource_path=paths.get(resource_ref or "", "/") if resource_ref != api_lid else "/",
                http_method=p["HttpMethod"],
                authorization_type=p.get("AuthorizationType", "NONE"),
                authorizer=t.owner(p, "AuthorizerId"),
                integration_type=kind,
                function=t.function_of(integration["Uri"]) if kind == "AWS_PROXY" else None,
                timeout_ms=int(integration.get("TimeoutInMillis", DEFAULT_INTEGRATION_TIMEOUT_MS)),
                mock_status=int(mock_response.get("StatusCode", 200)),
                mock_headers={
                    k.removeprefix("method.response.header."): str(t.resolve(v)).strip("'")
                    for k, v in mock_response.get("ResponseParameters", {}).items()
                },
            )
        )
    return methods


def _gateway_responses(t: _TemplateReader, api_lid: str) -> dict[str, GatewayResponseSpec]:
    return {
        p["ResponseType"]: GatewayResponseSpec(
            status=int(p["StatusCode"]) if "StatusCode" in p else None,
            templates={k: str(v) for k, v in t.resolve(p.get("ResponseTemplates", {})).items()},
            headers={
                k.removeprefix("gatewayresponse.header."): str(v).strip("'")
                for k, v in t.resolve(p.get("ResponseParameters", {})).items()
            },
        )
        for p in t.of_type("AWS::ApiGateway::GatewayResponse").values()
        if t.owner(p, "RestApiId") == api_lid
    }


def _websocket_apis(t: _TemplateReader) -> list[WebSocketApiSpec]:
    """AWS::ApiGatewayV2::Api (WEBSOCKET) with its routes, integrations, authorizers and stage."""
    websocket_apis = []
    for api_lid, api_props in t.of_type("AWS::ApiGatewayV2::Api").items():
        if api_props.get("ProtocolType") != "WEBSOCKET":
            continue
        integrations = {
            lid: p for lid, p in t.of_type("AWS::ApiGatewayV2::Integration").items() if t.owner(p, "ApiId") == api_lid
        }
        routes = {}
        for p in t.of_type("AWS::ApiGatewayV2::Route").values():
            if t.owner(p, "ApiId") != api_lid:
                continue
            integration_lid = t.owner(p, "Target")
            assert integration_lid is not None, f"route {p['RouteKey']} has no integration"
            routes[p["RouteKey"]] = WebSocketRouteSpec(
                route_key=p["RouteKey"],
                function=t.function_of(integrations[integration_lid]["IntegrationUri"]),
                authorizer=t.owner(p, "AuthorizerId"),
                returns_response="RouteResponseSelectionExpression" in p,
            )
        stages = [
            p["StageName"] for p in t.of_type("AWS::ApiGatewayV2::Stage").values() if t.owner(p, "ApiId") == api_lid
        ]
        websocket_apis.append(
            WebSocketApiSpec(
                logical_id=api_lid,
                api_id=api_id(api_lid),
                stage=(stages or ["$default"])[0],
                route_selection_expression=api_props.get("RouteSelectionExpression", "$request.body.action"),
                routes=routes,
                authorizers={
                    lid: t.authorizer_spec(lid, p, v2=True)
                    for lid, p in t.of_type("AWS::ApiGatewayV2::Authorizer").items()
                    if t.owner(p, "ApiId") == api_lid
                },
            )
        )
    return websocket_apis


def _event_source_mappings(t: _TemplateReader) -> list[EventSourceMappingSpec]:
    """AWS::Lambda::EventSourceMapping from SQS queues (the only sources this platform has)."""
    mappings = []
    for lid, p in t.of_type("AWS::Lambda::EventSourceMapping").items():
        source_arn = str(t.resolve(p["EventSourceArn"]))
        if ":sqs:" not in source_arn:
            continue
        function_ref = t.owner(p, "FunctionName")
        mappings.append(
            EventSourceMappingSpec(
                logical_id=lid,
                function=t.function_by_lid.get(function_ref or "", str(t.resolve(p["FunctionName"]))),
                queue_arn=source_arn,
                batch_size=int(p.get("BatchSize", 10)),
                window_s=int(p.get("MaximumBatchingWindowInSeconds", 0)),
                report_batch_item_failures="ReportBatchItemFailures" in p.get("FunctionResponseTypes", []),
                enabled=bool(p.get("Enabled", True)),
                maximum_concurrency=p.get("ScalingConfig", {}).get("MaximumConcurrency"),
            )
        )
    return mappings


def _outputs(t: _TemplateReader) -> dict[str, str]:
    """The stack outputs with local values (an unresolvable one says why instead of failing the plan)."""
    outputs = {}
    for name, output in t.template.get("Outputs", {}).items():
        try:
            outputs[name] = str(t.resolve(output["Value"]))
        except (UnresolvableError, KeyError) as error:
            outputs[name] = f"<unresolved: {error}>"
    return outputs


def _account_facts(t: _TemplateReader) -> AccountFacts:
    """What IAM checks need to name a call's resource: the stack's state machines and secrets (their ARNs
    as LocalStack has them) and which local API endpoint is which API id."""
    return AccountFacts(
        state_machines=[str(t.resolve({"Ref": lid})) for lid in t.of_type("AWS::StepFunctions::StateMachine")],
        secrets=[str(t.resolve({"Ref": lid})) for lid in t.of_type("AWS::SecretsManager::Secret")],
        execute_api_endpoints={base: aid for aid, base in t.endpoints.http_base.items()},
    )


def _ref(lid: str, resources: dict[str, Any], deployed: DeployedStack, stack_name: str) -> Any:
    if lid in deployed.ref_values:
        return deployed.ref_values[lid]
    if lid in deployed.played:
        return placeholder_ref(stack_name, lid, resources[lid])
    if lid in deployed.physical_ids:
        return deployed.physical_ids[lid]
    raise UnresolvableError(f"Ref {lid}: not in the template's deployed part")


def _att(lid: str, attribute: str, resources: dict[str, Any], deployed: DeployedStack, stack_name: str) -> Any:
    key = f"{lid}.{attribute}"
    if key in deployed.ref_values:
        return deployed.ref_values[key]
    if lid in deployed.played:
        return placeholder_att(stack_name, lid, resources[lid], attribute)
    raise UnresolvableError(f"Fn::GetAtt {key}: not computed by the deployed stack")


def _localize(value: Any, endpoints: LocalEndpoints) -> Any:
    """Rewrites execute-api URLs of played APIs to their local endpoints (https->http, wss->ws)."""
    if isinstance(value, str):
        for aid, base in endpoints.http_base.items():
            host = f"{aid}.execute-api.{REGION}.amazonaws.com"
            value = value.replace(f"https://{host}", base).replace(f"wss://{host}", base.replace("http://", "ws://"))
        return value
    if isinstance(value, list):
        return [_localize(v, endpoints) for v in value]
    if isinstance(value, dict):
        return {k: _localize(v, endpoints) for k, v in value.items()}
    return value


def _as_env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resource_paths(api_lid: str, api_resources: dict[str, dict[str, Any]]) -> dict[str, str]:
    """AWS::ApiGateway::Resource logical id -> full path, following ParentId up to the API's root."""
    paths: dict[str, str] = {}

    def path_of(lid: str) -> str:
        if lid in paths:
            return paths[lid]
        props = api_resources[lid]
        parent = [ref for ref, _ in references(props["ParentId"])][0]
        prefix = "" if parent == api_lid else path_of(parent)
        paths[lid] = f"{prefix}/{props['PathPart']}"
        return paths[lid]

    for lid, props in api_resources.items():
        if [ref for ref, _ in references(props.get("RestApiId"))] == [api_lid]:
            path_of(lid)
    return paths


def _code_dir(code: dict[str, Any], asset_dirs: dict[str, Path], state_dir: Path, lid: str) -> Path:
    """The directory holding a function's (or layer's) code: its CDK asset, or inline code written out."""
    if "ZipFile" in code:
        target = state_dir / "inline-code" / lid
        target.mkdir(parents=True, exist_ok=True)
        (target / "index.py").write_text(code["ZipFile"])
        return target
    key = code.get("S3Key")
    if not isinstance(key, str) or key not in asset_dirs:
        raise UnresolvableError(f"{lid}: code {code!r} is not an asset of the cloud assembly")
    source = asset_dirs[key]
    if source.is_file() and source.suffix == ".zip":
        target = state_dir / "unzipped-code" / lid
        with zipfile.ZipFile(source) as archive:
            archive.extractall(target)
        return target
    return source
