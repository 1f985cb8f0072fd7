"""Splits a synthesized CDK template into what LocalStack holds and what the local runtime plays.

LocalStack Community holds S3, SQS, SNS, Step Functions, SSM, Secrets Manager, EventBridge, Logs, IAM, KMS
and CloudWatch. Lambda, API Gateway (its Lambda authorizers and WebSockets need Docker or Pro) and anything
else are left out of the deployed template; references to them from kept resources get stable placeholder
values (a Lambda ARN, an API id) that the runtime uses too, so both sides agree. For every value the played
resources need from kept ones, an output is added so that CloudFormation itself computes it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel

from local_cloud.cfn_intrinsics import ACCOUNT_ID, REGION, references

#: resource type prefixes LocalStack Community deploys and runs here (docs/local-parity.md lists them)
LOCALSTACK_TYPE_PREFIXES: tuple[str, ...] = (
    "AWS::S3::",
    "AWS::SQS::",
    "AWS::SNS::",
    "AWS::StepFunctions::",
    "AWS::SSM::",
    "AWS::SecretsManager::",
    "AWS::Events::",
    "AWS::Logs::",
    "AWS::IAM::",
    "AWS::KMS::",
    "AWS::CloudWatch::",
)


#: resource types whose documents the runtime reads to enforce the functions' roles
IAM_POLICY_TYPES = ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy")


class LocalRefOutput(BaseModel):
    """An output added to the deployed template so CloudFormation resolves a value the runtime needs."""

    output_name: str
    logical_id: str
    attribute: str | None  # None: Ref


class SplitTemplate(BaseModel):
    """The LocalStack part of a template, and what was left out of it."""

    stack_name: str
    deployable: dict[str, Any]
    played: dict[str, str]  # logical id -> resource type, for resources the runtime plays or skips
    ref_outputs: list[LocalRefOutput]


def is_localstack_type(resource_type: str) -> bool:
    return resource_type.startswith(LOCALSTACK_TYPE_PREFIXES)


def function_name(stack_name: str, logical_id: str, properties: dict[str, Any]) -> str:
    """The name a Lambda function gets: its `FunctionName`, else one derived like CloudFormation does."""
    name = properties.get("FunctionName")
    if isinstance(name, str):
        return name
    return f"{stack_name}-{logical_id}"[:64]


def api_id(logical_id: str) -> str:
    """A stable, execute-api-shaped id for a REST or WebSocket API played locally."""
    return (re.sub(r"[^a-z0-9]", "", logical_id.lower()) + "0000000000")[:10]


def placeholder_ref(stack_name: str, logical_id: str, resource: dict[str, Any]) -> str:
    """What `Ref` of a played resource evaluates to, in the deployed template and in the runtime."""
    resource_type = resource["Type"]
    properties = resource.get("Properties", {})
    if resource_type == "AWS::Lambda::Function":
        return function_name(stack_name, logical_id, properties)
    if resource_type in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
        return api_id(logical_id)
    if resource_type in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
        return str(properties.get("StageName", logical_id))
    return f"local-{logical_id.lower()}"


def placeholder_att(stack_name: str, logical_id: str, resource: dict[str, Any], attribute: str) -> str:
    """What `Fn::GetAtt` of a played resource evaluates to."""
    if resource["Type"] == "AWS::Lambda::Function" and attribute == "Arn":
        name = function_name(stack_name, logical_id, resource.get("Properties", {}))
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
    if resource["Type"] == "AWS::ApiGateway::RestApi" and attribute == "RootResourceId":
        return f"root-{api_id(logical_id)}"
    if resource["Type"] == "AWS::ApiGatewayV2::Api" and attribute == "ApiEndpoint":
        return f"wss://{api_id(logical_id)}.execute-api.{REGION}.amazonaws.com"
    return f"arn:aws:local:{REGION}:{ACCOUNT_ID}:{logical_id}/{attribute}"


def split_template(template: dict[str, Any], stack_name: str) -> SplitTemplate:
    """Returns the deployable part of `template` (a new dict) and the list of what it left out."""
    resources: dict[str, Any] = template.get("Resources", {})
    played = {lid: r["Type"] for lid, r in resources.items() if not is_localstack_type(r["Type"])}
    kept = {lid: copy.deepcopy(r) for lid, r in resources.items() if lid not in played}

    def substitute(value: Any) -> Any:
        if isinstance(value, list):
            return [substitute(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1 and isinstance(value.get("Ref"), str) and value["Ref"] in played:
            return placeholder_ref(stack_name, value["Ref"], resources[value["Ref"]])
        if len(value) == 1 and "Fn::GetAtt" in value:
            arg = value["Fn::GetAtt"]
            logical_id, attribute = arg.split(".", 1) if isinstance(arg, str) else (arg[0], arg[1])
            if logical_id in played:
                return placeholder_att(stack_name, logical_id, resources[logical_id], attribute)
        if len(value) == 1 and "Fn::Sub" in value:
            return {"Fn::Sub": _substitute_sub(value["Fn::Sub"], played, resources, stack_name, substitute)}
        return {k: substitute(v) for k, v in value.items()}

    for resource in kept.values():
        if "Properties" in resource:
            resource["Properties"] = substitute(resource["Properties"])
        depends = resource.get("DependsOn")
        if depends:
            depends = [depends] if isinstance(depends, str) else depends
            resource["DependsOn"] = [d for d in depends if d not in played]

    needed: set[tuple[str, str | None]] = set()
    for lid in played:
        needed |= references(resources[lid].get("Properties", {}))
    for resource in resources.values():
        if resource["Type"] in IAM_POLICY_TYPES:  # the runtime enforces function roles (iam_role_policies.py)
            needed |= references(resource.get("Properties", {}))
    needed |= references(template.get("Outputs", {}))
    ref_outputs = [
        LocalRefOutput(output_name=f"LocalRef{i}", logical_id=lid, attribute=att)
        for i, (lid, att) in enumerate(sorted(needed, key=lambda x: (x[0], x[1] or "")))
        if lid in kept
    ]
    outputs = {
        ref.output_name: {
            "Value": {"Ref": ref.logical_id}
            if ref.attribute is None
            else {"Fn::GetAtt": [ref.logical_id, ref.attribute]}
        }
        for ref in ref_outputs
    }
    parameters = {k: v for k, v in template.get("Parameters", {}).items() if k != "BootstrapVersion"}
    deployable: dict[str, Any] = {"Resources": kept, "Outputs": outputs}
    for section in ("AWSTemplateFormatVersion", "Conditions", "Mappings"):
        if section in template:
            deployable[section] = template[section]
    if parameters:
        deployable["Parameters"] = parameters
    # Rules only hold CDK's bootstrap-version check, which needs `cdk bootstrap`'s SSM parameter.
    return SplitTemplate(stack_name=stack_name, deployable=deployable, played=played, ref_outputs=ref_outputs)


def _substitute_sub(
    arg: Any, played: dict[str, str], resources: dict[str, Any], stack_name: str, substitute: Any
) -> Any:
    template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return match.group(0)
        logical_id, _, attribute = name.partition(".")
        if logical_id in played:
            if attribute:
                return placeholder_att(stack_name, logical_id, resources[logical_id], attribute)
            return placeholder_ref(stack_name, logical_id, resources[logical_id])
        return match.group(0)

    template = re.sub(r"\$\{([^}!][^}]*)\}", replace, template)
    return template if isinstance(arg, str) else [template, substitute(variables)]
