"""Each played function's role, read from the synthesized template: the policies the local runtime enforces.

A function's `Role` names an AWS::IAM::Role of the template. Its policies are the role's inline `Policies`,
every AWS::IAM::Policy / AWS::IAM::ManagedPolicy whose `Roles` name it, every AWS::IAM::RolePolicy whose
`RoleName` names it, customer managed policies of the template in its `ManagedPolicyArns`, and the AWS managed
policies there that this project's stacks use (their documented statements are written below as data; any
other AWS managed policy is refused when the plan is built, never silently allowed). Intrinsics in statements
resolve to the values LocalStack holds, like every other template value the runtime reads.

The worker of each function receives its role as a JSON file (`LOCAL_CLOUD_IAM_POLICY_FILE`, read by
iam_enforcement.py); the S3 pass-through (s3_presign_proxy.py) finds the signer of a presigned URL by its
access key id, which is each function's own (`function_access_key_id`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from local_cloud.cfn_intrinsics import ACCOUNT_ID, REGION, UnresolvableError, references
from local_cloud.iam_policy_evaluator import PolicyError, statements_of

_AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"
_LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]

#: AWS managed policies a function role of this project may carry, as AWS documents them
#: (IAM console / `aws iam get-policy-version`); keyed by the part of the ARN after `policy/`.
AWS_MANAGED_POLICIES: dict[str, dict[str, Any]] = {
    "service-role/AWSLambdaBasicExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": _LOGS, "Resource": "*"}],
    },
    "service-role/AWSLambdaVPCAccessExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    *_LOGS,
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                "Resource": "*",
            }
        ],
    },
    "service-role/AWSLambdaSQSQueueExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *_LOGS],
                "Resource": "*",
            }
        ],
    },
    "AWSXRayDaemonWriteAccess": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                "Resource": "*",
            }
        ],
    },
}


class NamedPolicy(BaseModel):
    name: str
    document: dict[str, Any]


class RoleSpec(BaseModel):
    """A function's execution role: its name (as LocalStack created it) and every policy attached to it."""

    logical_id: str
    name: str
    policies: list[NamedPolicy]

    def principal_arn(self, function_name: str) -> str:
        """The identity a function's calls carry: Lambda's session of the role is named after the function."""
        return f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{self.name}/{function_name}"


class AccountFacts(BaseModel):
    """What a worker needs besides its role to name the resource of a call (see aws_call_permissions.py)."""

    state_machines: list[str] = []
    secrets: list[str] = []
    execute_api_endpoints: dict[str, str] = {}  # local base URL -> API id


def function_role(
    function_lid: str,
    resources: Mapping[str, Any],
    resolve: Callable[[Any], Any],
) -> RoleSpec:
    """The role of the AWS::Lambda::Function `function_lid`, with its policies resolved to local values."""
    props = resources[function_lid].get("Properties", {})
    role_lids = [ref for ref, _ in references(props.get("Role")) if resources.get(ref, {}).get("Type") == _ROLE]
    if len(role_lids) != 1:
        raise UnresolvableError(
            f"{function_lid}: Role {props.get('Role')!r} is not an AWS::IAM::Role of the template, "
            "so the local runtime cannot know (and enforce) its policies"
        )
    role_lid = role_lids[0]
    role_props = resources[role_lid].get("Properties", {})
    role_name = str(resolve({"Ref": role_lid}))

    def names_role(value: Any) -> bool:
        values = value if isinstance(value, list) else [value]
        return any(role_lid in {r for r, _ in references(v)} or v == role_name for v in values)

    policies = [
        NamedPolicy(name=str(p.get("PolicyName", f"{role_lid}-inline-{i}")), document=p["PolicyDocument"])
        for i, p in enumerate(role_props.get("Policies", []))
    ]
    for lid, resource in resources.items():
        kind, attached = resource["Type"], resource.get("Properties", {})
        if (kind in (_POLICY, _MANAGED_POLICY) and names_role(attached.get("Roles", []))) or (
            kind == _ROLE_POLICY and names_role(attached.get("RoleName"))
        ):
            policies.append(NamedPolicy(name=lid, document=attached["PolicyDocument"]))
    for arn_value in role_props.get("ManagedPolicyArns", []):
        customer = [r for r, _ in references(arn_value) if resources.get(r, {}).get("Type") == _MANAGED_POLICY]
        if customer:
            if not names_role(resources[customer[0]].get("Properties", {}).get("Roles", [])):
                policies.append(
                    NamedPolicy(name=customer[0], document=resources[customer[0]]["Properties"]["PolicyDocument"])
                )
            continue
        policies.append(_aws_managed(str(resolve(arn_value)), role_lid))

    resolved = [NamedPolicy(name=p.name, document=_resolved_document(p, resolve, role_lid)) for p in policies]
    return RoleSpec(logical_id=role_lid, name=role_name, policies=resolved)


_ROLE = "AWS::IAM::Role"
_POLICY = "AWS::IAM::Policy"
_MANAGED_POLICY = "AWS::IAM::ManagedPolicy"
_ROLE_POLICY = "AWS::IAM::RolePolicy"


def _aws_managed(arn: str, role_lid: str) -> NamedPolicy:
    name = arn.split(":policy/", 1)[-1] if arn.startswith(_AWS_MANAGED_PREFIX) else None
    if name is None or name not in AWS_MANAGED_POLICIES:
        raise UnresolvableError(
            f"{role_lid}: managed policy {arn} has no statements in local_cloud/iam_role_policies.py "
            f"(known: {', '.join(sorted(AWS_MANAGED_POLICIES))}); add its documented statements there"
        )
    return NamedPolicy(name=name, document=AWS_MANAGED_POLICIES[name])


def _resolved_document(policy: NamedPolicy, resolve: Callable[[Any], Any], role_lid: str) -> dict[str, Any]:
    try:
        document = resolve(policy.document)
        statements_of(document)
    except (UnresolvableError, PolicyError) as error:
        raise UnresolvableError(f"{role_lid}: policy {policy.name}: {error}") from error
    if not isinstance(document, dict):
        raise UnresolvableError(f"{role_lid}: policy {policy.name} is not a JSON object")
    return document


def function_access_key_id(function_name: str) -> str:
    """The access key id a function's worker signs with: presigned URLs name it (`X-Amz-Credential`), so the
    S3 pass-through knows whose role a URL carries. Not 12 digits and not ASIA/AKIA/LSIA/LKIA: LocalStack maps
    such keys to its default account, the one everything else uses."""
    digest = base64.b32encode(hashlib.sha256(function_name.encode()).digest()).decode()
    return f"LCFN{digest[:16]}"


def write_policy_file(
    path: Path, function_name: str, role: RoleSpec, facts: AccountFacts, region: str = REGION
) -> Path:
    """The JSON a worker reads at its first AWS SDK import (iam_enforcement.py); returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {
        "function": function_name,
        "role": role.name,
        "principal": role.principal_arn(function_name),
        "region": region,
        "account": ACCOUNT_ID,
        "policies": [p.model_dump() for p in role.policies],
        **facts.model_dump(),
    }
    path.write_text(json.dumps(content, indent=1))
    return path
