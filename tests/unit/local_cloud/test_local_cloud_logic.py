"""Pure logic of the local cloud: IAM policy evaluation, batch-failure answers, template split, intrinsics,
API key extraction. The services themselves are tested in tests/integration/local_cloud/."""

from __future__ import annotations

import pytest

from functions.authorizer.api_key_policy import api_key_of, stage_wide_resource
from local_cloud.cfn_intrinsics import IntrinsicResolver, references
from local_cloud.gateway_authorizers import RequestIdentity, policy_allows
from local_cloud.sqs_event_sources import records_to_keep
from local_cloud.template_split import split_template

ARN = "arn:aws:execute-api:us-east-1:000000000000:api1/v0/GET/items/1"


def _policy(*statements: tuple[str, str]) -> dict:
    return {"Statement": [{"Action": "execute-api:Invoke", "Effect": e, "Resource": r} for e, r in statements]}


@pytest.mark.parametrize(
    ("policy", "verdict"),
    [
        (_policy(("Allow", ARN)), "allow"),
        (_policy(("Allow", "arn:aws:execute-api:us-east-1:000000000000:api1/v0/*")), "allow"),
        (_policy(("Allow", "arn:aws:execute-api:us-east-1:000000000000:api1/v0/GET/items/?")), "allow"),
        (_policy(("Allow", "arn:aws:execute-api:us-east-1:000000000000:api1/v0/POST/*")), "no allow"),
        (_policy(("Allow", "*"), ("Deny", ARN)), "explicit deny"),
        ({"Statement": "not a statement"}, None),
    ],
)
def test_policy_evaluation(policy: dict, verdict: str | None) -> None:
    assert policy_allows(policy, ARN) == verdict


def test_batch_item_failures() -> None:
    ids = ["a", "b", "c"]
    assert records_to_keep({"batchItemFailures": []}, ids) == set()
    assert records_to_keep(None, ids) == set()
    assert records_to_keep({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids) == {"b"}
    # an id that is not in the batch, or an empty one, fails the whole batch (AWS semantics)
    assert records_to_keep({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, ids) is None
    assert records_to_keep({"batchItemFailures": [{"itemIdentifier": ""}]}, ids) is None


def test_identity_sources() -> None:
    identity = RequestIdentity(headers={"x-api-key": "k1"}, query={"key": "k2"})
    assert identity.value("method.request.header.X-Api-Key") == "k1"
    assert identity.value("route.request.querystring.key") == "k2"
    assert identity.value("method.request.header.Authorization") is None


def test_split_keeps_localstack_types_and_asks_cloudformation_for_needed_values() -> None:
    template = {
        "Parameters": {"BootstrapVersion": {"Type": "String"}},
        "Rules": {"CheckBootstrapVersion": {}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Environment": {"Variables": {"URL": {"Ref": "Queue"}}}},
            },
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "DependsOn": ["Fn"],
                "Properties": {"PolicyDocument": {"Statement": [{"Resource": {"Fn::GetAtt": ["Fn", "Arn"]}}]}},
            },
        },
    }
    split = split_template(template, "S")
    assert set(split.deployable["Resources"]) == {"Queue", "Policy"}
    assert split.played == {"Fn": "AWS::Lambda::Function"}
    policy = split.deployable["Resources"]["Policy"]
    assert policy["DependsOn"] == []
    assert (
        policy["Properties"]["PolicyDocument"]["Statement"][0]["Resource"]
        == "arn:aws:lambda:us-east-1:000000000000:function:S-Fn"
    )
    assert [(r.logical_id, r.attribute) for r in split.ref_outputs] == [("Queue", None)]
    assert "Rules" not in split.deployable and "Parameters" not in split.deployable


def test_intrinsics() -> None:
    resolver = IntrinsicResolver(ref=lambda lid: f"ref-{lid}", get_att=lambda lid, att: f"{lid}.{att}", stack_name="S")
    value = {
        "Fn::Join": [
            "/",
            [
                {"Ref": "A"},
                {"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]},
                {"Fn::Sub": "${AWS::Region}-${B.Arn}-${C}-${!Literal}"},
            ],
        ]
    }
    assert resolver.resolve(value) == "ref-A/y/us-east-1-B.Arn-ref-C-${Literal}"
    assert references({"Fn::Sub": ["${X}-${Y.Name}-${v}", {"v": {"Ref": "Z"}}]}) == {
        ("X", None),
        ("Y", "Name"),
        ("Z", None),
    }


def test_api_key_extraction_and_policy_resource() -> None:
    assert api_key_of({"X-Api-Key": "k"}) == "k"
    assert api_key_of({"authorization": "Bearer k"}) == "k"
    assert api_key_of({"Authorization": "k"}) == "k"  # Dhruva clients send the raw key
    assert api_key_of({}, {"key": "q"}) == "q"
    assert api_key_of({}, {}) is None
    assert stage_wide_resource(ARN) == "arn:aws:execute-api:us-east-1:000000000000:api1/v0/*"
