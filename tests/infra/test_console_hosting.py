"""The web console's hosting per stage: S3 + CloudFront (OAC, security headers, /config.json) in the AWS stages,
none in the local stage; CORS on the REST API for exactly the console's origin, in every stage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra_cdk import names
from speech_core.settings import CORS_ALLOW_HEADERS
from tests.infra.conftest import SynthesizedStage

pytestmark = pytest.mark.infra


def _only(resources: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.items()))


def _distribution_origin(stage: SynthesizedStage) -> Any:
    """How the template writes https://<the console distribution's domain>."""
    distribution_id, _ = _only(stage.props("AWS::CloudFront::Distribution"))
    return {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]}


def test_cloud_stages_serve_the_console_from_a_private_bucket_through_oac(cloud_stage: SynthesizedStage) -> None:
    _, distribution = _only(cloud_stage.props("AWS::CloudFront::Distribution"))
    config = distribution["DistributionConfig"]
    assert config["DefaultRootObject"] == "index.html"
    origin = config["Origins"][0]
    assert "OriginAccessControlId" in origin and origin["S3OriginConfig"].get("OriginAccessIdentity", "") == ""
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    # client-side routes answer the app
    assert {(e["ErrorCode"], e["ResponsePagePath"]) for e in config["CustomErrorResponses"]} == {
        (403, "/index.html"),
        (404, "/index.html"),
    }
    _, oac = _only(cloud_stage.props("AWS::CloudFront::OriginAccessControl"))
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    # the console bucket: private, SSL only, readable by this distribution alone
    bucket_id = origin["DomainName"]["Fn::GetAtt"][0]
    bucket = cloud_stage.props("AWS::S3::Bucket")[bucket_id]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    policy = next(p for p in cloud_stage.props("AWS::S3::BucketPolicy").values() if p["Bucket"] == {"Ref": bucket_id})
    statements = policy["PolicyDocument"]["Statement"]
    reads = [s for s in statements if s["Effect"] == "Allow" and s["Action"] == "s3:GetObject"]
    assert reads and all(s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in reads)
    assert all("AWS:SourceArn" in json.dumps(s["Condition"]) for s in reads)
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements)


def test_cloud_stages_send_security_headers(cloud_stage: SynthesizedStage) -> None:
    _, policy = _only(cloud_stage.props("AWS::CloudFront::ResponseHeadersPolicy"))
    headers = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    csp = json.dumps(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    # connect-src names this stage's REST and WebSocket APIs, nothing else
    rest_id, _ = _only(cloud_stage.props("AWS::ApiGateway::RestApi"))
    ws_id, _ = _only(cloud_stage.props("AWS::ApiGatewayV2::Api"))
    assert f'{{"Ref": "{rest_id}"}}' in csp and f'{{"Ref": "{ws_id}"}}' in csp


def test_config_json_carries_the_stages_api_urls_not_a_rebuild(cloud_stage: SynthesizedStage) -> None:
    # /config.json is answered by a CloudFront Function written from this stage's API ids: the same build
    # serves every stage
    _, function = _only(cloud_stage.props("AWS::CloudFront::Function"))
    code = json.dumps(function["FunctionCode"])
    rest_id, _ = _only(cloud_stage.props("AWS::ApiGateway::RestApi"))
    assert "apiUrl" in code and f'{{"Ref": "{rest_id}"}}' in code and f"/{cloud_stage.config.stage}/" in code
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    _, distribution = _only(cloud_stage.props("AWS::CloudFront::Distribution"))
    behaviors = distribution["DistributionConfig"]["CacheBehaviors"]
    config_behavior = next(b for b in behaviors if b["PathPattern"] == "/config.json")
    assert config_behavior["FunctionAssociations"][0]["EventType"] == "viewer-request"
    outputs = cloud_stage.template["Outputs"]
    for key in (names.OUT_CONSOLE_URL, names.OUT_CONSOLE_BUCKET, names.OUT_CONSOLE_DISTRIBUTION_ID):
        assert key in outputs


def _console_origin(stage: SynthesizedStage) -> Any:
    return _distribution_origin(stage) if stage.config.console.hosted else stage.config.console.origin


def test_rest_api_cors_allows_exactly_the_consoles_origin(stage: SynthesizedStage) -> None:
    origin = _console_origin(stage)
    assert origin is not None
    quoted = (
        {"Fn::Join": ["", ["'https://", origin["Fn::Join"][1][1], "'"]]} if isinstance(origin, dict) else f"'{origin}'"
    )
    # preflight: every resource that carries a route answers OPTIONS itself with the one origin
    methods = stage.props("AWS::ApiGateway::Method").values()
    options = [m for m in methods if m["HttpMethod"] == "OPTIONS"]
    routed = {json.dumps(m["ResourceId"]) for m in methods if m["HttpMethod"] != "OPTIONS"}
    assert {json.dumps(m["ResourceId"]) for m in options} == routed
    for method in options:
        assert method["AuthorizationType"] == "NONE" and method["Integration"]["Type"] == "MOCK"
        params = method["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        assert params["method.response.header.Access-Control-Allow-Origin"] == quoted
        allowed = params["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
        assert set(allowed) == set(CORS_ALLOW_HEADERS)
    # the gateway's own errors (a wrong key's 403) carry it too, so the console can read their code
    for response in stage.props("AWS::ApiGateway::GatewayResponse").values():
        assert response["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == quoted
    # and every REST function answers CORS for that origin (CONSOLE_ORIGIN), the others are not told it
    for props in stage.props("AWS::Lambda::Function").values():
        env = props.get("Environment", {}).get("Variables", {})
        handler = props.get("Handler", "")
        if handler.startswith("functions/") and "CONSOLE_ORIGIN" in env:
            assert env["CONSOLE_ORIGIN"] == origin
    rest_functions = [
        p
        for p in stage.props("AWS::Lambda::Function").values()
        if "CONSOLE_ORIGIN" in p.get("Environment", {}).get("Variables", {})
    ]
    assert rest_functions


def test_local_stage_hosts_no_console_and_allows_the_local_console_server(
    synthesized: dict[str, SynthesizedStage],
) -> None:
    local = synthesized["local"]
    assert not local.config.console.hosted
    assert not local.resources("AWS::CloudFront::Distribution") and not local.resources("AWS::CloudFront::Function")
    assert local.config.console.origin and local.config.console.origin.startswith("http://127.0.0.1:")
