"""Deploys the LocalStack part of a synthesized stack and records what the runtime needs to play the rest."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
from pydantic import BaseModel

from local_cloud.cfn_intrinsics import REGION
from local_cloud.template_split import split_template

TEMPLATE_BUCKET = "local-cloud-templates"


class DeployError(RuntimeError):
    """The LocalStack part of the template failed to deploy; the message lists CloudFormation's reasons."""


class CloudAssemblyStack(BaseModel):
    """One stack of a synthesized cloud assembly (cdk.out)."""

    stack_name: str
    template_path: Path
    assembly_dir: Path

    def template(self) -> dict[str, Any]:
        return json.loads(self.template_path.read_text())

    def asset_dirs(self) -> dict[str, Path]:
        """S3 object key of each file asset -> its directory (or file) in the assembly."""
        manifest_path = self.template_path.with_name(self.template_path.name.replace(".template.json", ".assets.json"))
        if not manifest_path.exists():
            return {}
        manifest = json.loads(manifest_path.read_text())
        found: dict[str, Path] = {}
        for asset in manifest.get("files", {}).values():
            for destination in asset.get("destinations", {}).values():
                found[destination["objectKey"]] = self.assembly_dir / asset["source"]["path"]
        return found


class DeployedStack(BaseModel):
    """What LocalStack holds of a stack, handed from the deployer to the runtime process (as JSON)."""

    stack: CloudAssemblyStack
    localstack_endpoint: str
    ref_values: dict[str, Any]  # "LogicalId" or "LogicalId.Attribute" -> value computed by CloudFormation
    physical_ids: dict[str, str]
    played: dict[str, str]


def find_stack(assembly_dir: Path, stack_name: str | None = None) -> CloudAssemblyStack:
    """Finds a stack in a cloud assembly by name (or the only one), through manifest.json."""
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    stacks = [
        (name, artifact)
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
        and (stack_name is None or artifact.get("displayName", name) == stack_name or name == stack_name)
    ]
    if len(stacks) != 1:
        raise ValueError(f"expected one stack {stack_name or ''} in {assembly_dir}, found {[n for n, _ in stacks]}")
    name, artifact = stacks[0]
    stack_name = artifact.get("properties", {}).get("stackName", name)
    return CloudAssemblyStack(
        stack_name=stack_name,
        assembly_dir=assembly_dir,
        template_path=assembly_dir / artifact["properties"]["templateFile"],
    )


def aws_client(service: str, endpoint: str) -> Any:
    """A boto3 client for LocalStack (fixed test credentials; LocalStack accepts any)."""
    return boto3.client(  # type: ignore[call-overload]  # `service` is any name the caller passes
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )


def deploy_stack(stack: CloudAssemblyStack, endpoint: str, timeout_s: float = 180.0) -> DeployedStack:
    """Creates the LocalStack part of `stack` through LocalStack's CloudFormation and waits for it."""
    split = split_template(stack.template(), stack.stack_name)
    cfn = aws_client("cloudformation", endpoint)
    # through S3, like `cdk deploy`: a TemplateBody is limited to 51,200 bytes
    s3 = aws_client("s3", endpoint)
    s3.create_bucket(Bucket=TEMPLATE_BUCKET)
    key = f"{stack.stack_name}.template.json"
    s3.put_object(Bucket=TEMPLATE_BUCKET, Key=key, Body=json.dumps(split.deployable).encode())
    cfn.create_stack(
        StackName=stack.stack_name,
        TemplateURL=f"{endpoint}/{TEMPLATE_BUCKET}/{key}",
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    deadline = time.monotonic() + timeout_s
    while True:
        description = cfn.describe_stacks(StackName=stack.stack_name)["Stacks"][0]
        status = description["StackStatus"]
        if status == "CREATE_COMPLETE":
            break
        if status.endswith(("FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_IN_PROGRESS")) or time.monotonic() > deadline:
            events = cfn.describe_stack_events(StackName=stack.stack_name)["StackEvents"]
            reasons = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                for e in events
                if "FAILED" in e.get("ResourceStatus", "")
            ]
            raise DeployError(f"stack {stack.stack_name} {status}: " + "; ".join(reasons[:10]))
        time.sleep(0.5)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
    ref_values: dict[str, Any] = {}
    for ref in split.ref_outputs:
        key = ref.logical_id if ref.attribute is None else f"{ref.logical_id}.{ref.attribute}"
        ref_values[key] = outputs[ref.output_name]
    resources = cfn.list_stack_resources(StackName=stack.stack_name)["StackResourceSummaries"]
    physical_ids = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in resources}
    return DeployedStack(
        stack=stack, localstack_endpoint=endpoint, ref_values=ref_values, physical_ids=physical_ids, played=split.played
    )
