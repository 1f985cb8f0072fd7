"""The web console (console/) in an AWS stage: a private S3 bucket behind CloudFront.

- The bucket is private (block public access, SSL only, S3-managed encryption, access logs); CloudFront reads it
  through an origin access control (SigV4), the bucket policy naming this distribution only.
- Every answer carries security headers (HSTS, a content security policy that lets the app call only its own
  origin and this stage's API, nosniff, frame-ancestors none, a strict referrer policy).
- The app is built once and is the same in every stage: what differs (the API's URLs) is `/config.json`,
  answered by a CloudFront Function written here from the stage's own API URLs, so nothing is rebuilt per stage.
- Unknown paths answer the app's index.html (client-side routes).

The built files are uploaded by `make deploy` (console/publish.py) after the stack is deployed.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, Fn, RemovalPolicy, Token
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_cdk.config import StageConfig
from infra_cdk.nag_acknowledgments import acknowledge

#: the runtime configuration the app reads at start (console/src/config.ts)
CONFIG_PATH = "/config.json"


class ConsoleHosting(Construct):
    """Bucket, CloudFront distribution (OAC, security headers, SPA fallback) and `/config.json`."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, access_logs: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=config.storage.versioned,
            lifecycle_rules=[
                s3.LifecycleRule(id="abort-multipart", abort_incomplete_multipart_upload_after=Duration.days(1)),
                # old builds: each deploy overwrites the files; superseded versions go after 30 days
                *(
                    [s3.LifecycleRule(id="expire-noncurrent", noncurrent_version_expiration=Duration.days(30))]
                    if config.storage.versioned
                    else []
                ),
            ],
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="ConsoleBucket/",
            removal_policy=RemovalPolicy.RETAIN if config.storage.retain_on_delete else RemovalPolicy.DESTROY,
            auto_delete_objects=config.storage.auto_delete_objects,
        )
        # made before the API exists (the API's CORS names this distribution's address); `serve` then writes
        # the API's URLs into /config.json and the content security policy
        self._config_function = cloudfront.Function(
            self,
            "ConfigFunction",
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Answers /config.json: this stage's API URLs",
            code=cloudfront.FunctionCode.from_inline(_config_function_code("", None)),
        )
        self._headers = self._security_headers("'self'")
        self.distribution = self._distribution()

    @property
    def origin(self) -> str:
        """The console's origin: the configured one (a custom domain), else the distribution's address."""
        return self._config.console.origin or f"https://{self.distribution.distribution_domain_name}"

    def serve(self, *, api_url: str, websocket_url: str | None) -> None:
        """Writes the API's URLs into `/config.json` and the content security policy's connect-src."""
        function = self._config_function.node.default_child
        assert isinstance(function, cloudfront.CfnFunction)
        function.add_property_override("FunctionCode", _config_function_code(api_url, websocket_url))
        connect = ["'self'", _origin_of(api_url)] + ([_origin_of(websocket_url)] if websocket_url else [])
        policy = self._headers.node.default_child
        assert isinstance(policy, cloudfront.CfnResponseHeadersPolicy)
        policy.add_property_override(
            "ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy",
            _content_security_policy(Fn.join(" ", connect)),
        )

    def _distribution(self) -> cloudfront.Distribution:
        """HTTPS only, the bucket through OAC, security headers, /config.json from the function, SPA fallback."""
        bucket_origin = origins.S3BucketOrigin.with_origin_access_control(self.bucket)  # one OAC for both behaviors
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"speech console ({self._config.stage})",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_behavior=cloudfront.BehaviorOptions(
                origin=bucket_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=self._headers,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            ),
            additional_behaviors={
                CONFIG_PATH: cloudfront.BehaviorOptions(
                    origin=bucket_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    function_associations=[
                        cloudfront.FunctionAssociation(
                            function=self._config_function, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                        )
                    ],
                )
            },
            # client-side routes: a path that is no file answers the app itself
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=200,
                    response_page_path="/index.html",
                    ttl=Duration.seconds(0),
                )
                for status in (403, 404)
            ],
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR1",
            "The console is a public page (every call it makes needs an API key); no geo restriction applies.",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR3",
            "CloudFront standard logs need an ACL-enabled bucket (every bucket here enforces bucket-owner ACLs off); "
            "the console's calls are logged where they land, in the API's access logs.",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR2",
            "No WAF web ACL on static files: the API behind them has its own throttle and key checks.",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR4",
            "The default *.cloudfront.net certificate allows TLS 1.0 viewers; a custom domain (console.origin) "
            "with its own certificate is the way to TLS 1.2 only (docs/deploy.md).",
        )
        return distribution

    def _security_headers(self, connect_src: str) -> cloudfront.ResponseHeadersPolicy:
        """HSTS, CSP (self + this stage's API, set by `serve`), nosniff, no framing, strict referrer policy."""
        csp = _content_security_policy(connect_src)
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="speech console: security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, preload=True, override=True
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
                ),
                xss_protection=cloudfront.ResponseHeadersXSSProtection(protection=True, mode_block=True, override=True),
            ),
        )


def _content_security_policy(connect_src: str) -> str:
    """The console's CSP: its own files, and calls to `connect_src` (its own origin and the stage's API)."""
    return Fn.join(
        "; ",
        [
            "default-src 'self'",
            Fn.join(" ", ["connect-src", connect_src]),
            # audio the API returns plays from data:/blob: URLs; presigned result links are plain downloads
            "media-src 'self' data: blob:",
            "img-src 'self' data:",
            "style-src 'self' 'unsafe-inline'",  # the component library injects its CSS variables at run time
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'none'",
        ],
    )


def _origin_of(url: str) -> str:
    """scheme://host of a URL that may be a deploy-time token (API Gateway's URL is one)."""
    if Token.is_unresolved(url):
        # https://<id>.execute-api.<region>.amazonaws.com/<stage>/ -> split on "/" -> [https:, "", host, ...]
        parts = Fn.split("/", url)
        return Fn.join("", [Fn.select(0, parts), "//", Fn.select(2, parts)])
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _config_function_code(api_url: str, websocket_url: str | None) -> str:
    """A CloudFront Function (cloudfront-js-2.0) that answers /config.json itself, never from the bucket."""
    # the body is JSON inside a JS string literal; the URLs are tokens resolved at deploy (no quotes in them)
    body = (
        '{"apiUrl":"' + api_url + '","websocketUrl":' + ('"' + websocket_url + '"' if websocket_url else "null") + "}"
    )
    response = {
        "statusCode": 200,
        "statusDescription": "OK",
        "headers": {
            "content-type": {"value": "application/json"},
            "cache-control": {"value": "no-store"},
        },
    }
    return (
        "function handler(event) {\n"
        f"  var response = {json.dumps(response)};\n"
        f"  response.body = {{encoding: 'text', data: '{body}'}};\n"
        "  return response;\n"
        "}\n"
    )
