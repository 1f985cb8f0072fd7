"""SnapStart (`functions.snap_start` in cdk.json): on published versions of every function API Gateway invokes in
the AWS stages, which API Gateway then invokes through the `live` alias; off in the local stage, whose template the
local runtime plays as before (functions invoked by ARN, no versions, no aliases)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra_cdk import names
from infra_cdk.function_catalog import FUNCTIONS, MIGRATION_FUNCTION_ID, REST_AUTHORIZER_ID, FunctionSpec
from tests.infra.conftest import SynthesizedStage

pytestmark = pytest.mark.infra

INVOKED_BY_API_GATEWAY = [spec for spec in FUNCTIONS if spec.rest_routes or spec.role == "authorizer"]


def _function_ids(stage: SynthesizedStage) -> dict[str, str]:
    """Catalog id -> logical id of its function (found by handler string)."""
    by_handler = {props["Handler"]: lid for lid, props in stage.props("AWS::Lambda::Function").items()}
    return {spec.id: by_handler[spec.handler] for spec in FUNCTIONS}


def _alias_of(stage: SynthesizedStage, function_logical_id: str) -> str:
    aliases = [
        lid
        for lid, props in stage.props("AWS::Lambda::Alias").items()
        if props["FunctionName"] == {"Ref": function_logical_id}
    ]
    assert len(aliases) == 1, (function_logical_id, aliases)
    return aliases[0]


def _mentions(value: Any, logical_id: str) -> bool:
    """Whether a CloudFormation value refers to `logical_id` (Ref or GetAtt, at any depth)."""
    text = json.dumps(value)
    return f'{{"Ref": "{logical_id}"}}' in text or f'"Fn::GetAtt": ["{logical_id}"' in text


def _integration_uris(stage: SynthesizedStage, spec: FunctionSpec) -> list[Any]:
    paths = {route.path for route in spec.rest_routes}
    resources = stage.props("AWS::ApiGateway::Resource")
    uris = []
    for props in stage.props("AWS::ApiGateway::Method").values():
        resource = props.get("ResourceId", {}).get("Ref")
        if resource in resources and props.get("Integration", {}).get("Type") == "AWS_PROXY":
            uris.append((resource, props["Integration"]["Uri"]))
    # a method belongs to the spec when its URI names one of the spec's function or alias
    ids = _function_ids(stage)
    targets = {ids[spec.id]} | {
        lid for lid, p in stage.props("AWS::Lambda::Alias").items() if p["FunctionName"] == {"Ref": ids[spec.id]}
    }
    found = [uri for _, uri in uris if any(_mentions(uri, target) for target in targets)]
    assert len(found) == len(paths), (spec.id, len(found), paths)
    return found


def test_the_stage_switch_is_on_in_the_aws_stages_and_off_locally(synthesized: dict[str, SynthesizedStage]) -> None:
    assert {name: stage.config.functions.snap_start for name, stage in synthesized.items()} == {
        "local": False,
        "dev": True,
        "staging": True,
        "prod": True,
    }


def test_every_function_api_gateway_invokes_snap_starts_on_published_versions(
    cloud_stage: SynthesizedStage,
) -> None:
    functions = cloud_stage.props("AWS::Lambda::Function")
    ids = _function_ids(cloud_stage)
    versions = cloud_stage.props("AWS::Lambda::Version")
    for spec in INVOKED_BY_API_GATEWAY:
        props = functions[ids[spec.id]]
        assert props["Runtime"] == "python3.12"
        assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}, spec.id
        alias = cloud_stage.props("AWS::Lambda::Alias")[_alias_of(cloud_stage, ids[spec.id])]
        assert alias["Name"] == names.LIVE_ALIAS
        version_id = alias["FunctionVersion"]["Fn::GetAtt"][0]
        assert versions[version_id]["FunctionName"] == {"Ref": ids[spec.id]}
    # the migration function is invoked by its deploy-time trigger on $LATEST, where SnapStart never applies
    assert "SnapStart" not in functions[ids[MIGRATION_FUNCTION_ID]]


def test_api_gateway_invokes_the_live_alias(cloud_stage: SynthesizedStage) -> None:
    ids = _function_ids(cloud_stage)
    permissions = cloud_stage.props("AWS::Lambda::Permission").values()
    for spec in INVOKED_BY_API_GATEWAY:
        alias = _alias_of(cloud_stage, ids[spec.id])
        if spec.rest_routes:
            for uri in _integration_uris(cloud_stage, spec):
                assert _mentions(uri, alias) and not _mentions(uri, ids[spec.id]), spec.id
        invoke = [p for p in permissions if p["Principal"] == "apigateway.amazonaws.com"]
        assert any(p["FunctionName"] == {"Ref": alias} for p in invoke), spec.id
        assert not any(_mentions(p["FunctionName"], ids[spec.id]) for p in invoke), spec.id
    authorizers = cloud_stage.props("AWS::ApiGateway::Authorizer")
    assert len(authorizers) == 1
    (authorizer,) = authorizers.values()
    assert _mentions(authorizer["AuthorizerUri"], _alias_of(cloud_stage, ids[REST_AUTHORIZER_ID]))


def test_the_local_stage_has_no_snap_start_versions_or_aliases(synthesized: dict[str, SynthesizedStage]) -> None:
    local = synthesized["local"]
    assert not [p for p in local.props("AWS::Lambda::Function").values() if "SnapStart" in p]
    assert not local.resources("AWS::Lambda::Version")
    assert not local.resources("AWS::Lambda::Alias")
    ids = _function_ids(local)
    for spec in INVOKED_BY_API_GATEWAY:
        for uri in _integration_uris(local, spec) if spec.rest_routes else []:
            assert _mentions(uri, ids[spec.id])
    (authorizer,) = local.props("AWS::ApiGateway::Authorizer").values()
    assert _mentions(authorizer["AuthorizerUri"], ids[REST_AUTHORIZER_ID])
