"""cdk-nag (v3) acknowledgments: every suppressed finding goes through here, with its written reason.

cdk-nag 3 runs as a CDK policy-validation plugin: an unacknowledged finding stops synthesis. Acknowledgments
are CDK `Validations`; findings with a detail part (IAM4/IAM5) are acknowledged one by one with their
exact id, e.g. `AwsSolutions-IAM5[Resource::<AudioBucketABCD1234.Arn>/*]`.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge `rule_id` (e.g. `AwsSolutions-S1`) on `scope`, with the reason it is acceptable."""
    if len(reason) < 20:
        raise ValueError(f"acknowledging {rule_id} needs a real reason, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def arn_of(element: IConstruct) -> str:
    """How cdk-nag prints `Fn::GetAtt [<logical id>, Arn]` in finding ids: `<LogicalId.Arn>`."""
    cfn = element if isinstance(element, CfnElement) else element.node.default_child
    assert isinstance(cfn, CfnElement), f"{element.node.path} has no CloudFormation resource"
    return f"<{Stack.of(cfn).resolve(cfn.logical_id)}.Arn>"
