"""IAM enforced inside a played Lambda: every botocore call is checked against the function's role first.

Loaded by lambda_worker_main.py in the worker process, only once the function's code imports botocore
(functions that never call AWS never load it), under a private package name so nothing of the runtime is
importable by the function. `install` appends three handlers to `botocore.handlers.BUILTIN_HANDLERS`, so every
Session (and so every client) the function creates registers them:

- `before-parameter-build`: keeps the call's API parameters (after botocore's own handlers reshaped them);
- `before-call`: maps the call to IAM permissions (aws_call_permissions.py), evaluates them against the role's
  policies (iam_policy_evaluator.py) and, when one is refused, answers the call itself with the 403 AWS
  gives, so botocore raises what it would raise for AWS's answer (a ClientError, or the service's modeled
  exception) with AWS's error code and message, and nothing is sent;
- `after-call` of S3 HeadObject/GetObject: a missing key answers 403 instead of 404 when the role may not
  s3:ListBucket the bucket, as AWS does so that a caller cannot probe for keys it cannot list.

Stdlib only; botocore objects arrive as handler arguments.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from .aws_call_permissions import (
    CallFacts,
    Permission,
    access_denied_code,
    permissions_for_call,
    s3_bucket_arn,
)
from .iam_policy_evaluator import Verdict, denial_message, evaluate

_PARAMS = "local_cloud_api_params"
_HIDE_MISSING_KEY = "local_cloud_hide_missing_key"


class CallEnforcer:
    """One function's role, checked against each call of its botocore clients."""

    def __init__(self, role: dict[str, Any]) -> None:
        self.principal: str = role["principal"]
        self.documents: list[dict[str, Any]] = [p["document"] for p in role["policies"]]
        self.facts = CallFacts(
            region=role["region"],
            account=role["account"],
            state_machines=tuple(role.get("state_machines", ())),
            secrets=tuple(role.get("secrets", ())),
            execute_api_endpoints=dict(role.get("execute_api_endpoints", {})),
        )

    @classmethod
    def from_file(cls, path: str) -> CallEnforcer:
        with open(path, encoding="utf-8") as file:
            return cls(json.load(file))

    def verdict(self, permission: Permission) -> Verdict:
        """Allow when the permission's resource (or one of its alternatives) is allowed; else why not."""
        verdicts = [
            evaluate(self.documents, permission.action, resource)
            for resource in (permission.resource, *permission.alternatives)
        ]
        if "allow" in verdicts:
            return "allow"
        return "explicit deny" if "explicit deny" in verdicts else "no allow"

    # --- botocore event handlers (keyword arguments, as botocore emits them) ------------------------------

    def remember_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if not context.get("is_presign_request"):  # signing a URL is local: AWS checks whoever uses it
            context[_PARAMS] = params

    def check_call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
        """Returns a refusal (http response, parsed error) to short-circuit the call, or None to let it go."""
        service_model = model.service_model
        service = service_model.service_name
        api_params = context.get(_PARAMS, {})
        facts = self.facts._replace(region=context.get("client_region") or self.facts.region)
        for permission in permissions_for_call(
            service, service_model.signing_name, model.name, api_params, facts, url=params.get("url")
        ):
            verdict = self.verdict(permission)
            if verdict != "allow":
                return self._refusal(model, permission, verdict, str(params.get("url", "")))
        if service == "s3" and model.name in ("HeadObject", "GetObject") and "Bucket" in api_params:
            listing = Permission("s3:ListBucket", s3_bucket_arn(str(api_params["Bucket"])))
            context[_HIDE_MISSING_KEY] = self.verdict(listing) != "allow"
        return None

    def hide_missing_key(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if not context.get(_HIDE_MISSING_KEY) or getattr(http_response, "status_code", 0) != 404:
            return
        http_response.status_code = 403
        if model.http.get("method") == "HEAD":  # a HEAD answer has no body: botocore reports the status
            parsed["Error"] = {"Code": "403", "Message": "Forbidden"}
        else:
            bucket = s3_bucket_arn(str(context.get(_PARAMS, {}).get("Bucket")))
            message = denial_message(self.principal, "s3:ListBucket", bucket, "no allow", quote=True)
            parsed["Error"] = {"Code": "AccessDenied", "Message": message}
        parsed.setdefault("ResponseMetadata", {})["HTTPStatusCode"] = 403

    def _refusal(self, model: Any, permission: Permission, verdict: Verdict, url: str) -> tuple[Any, dict[str, Any]]:
        from botocore.awsrequest import AWSResponse, HTTPHeaders  # loaded: botocore is running this handler

        service_model = model.service_model
        service = service_model.service_name
        code = access_denied_code(
            service, service_model.protocol, "awsQueryCompatible" in (service_model.metadata or {})
        )
        message = denial_message(self.principal, permission.action, permission.resource, verdict, quote=service == "s3")
        if model.http.get("method") == "HEAD":  # a HEAD answer has no body: botocore reports the status
            code, message = "403", "Forbidden"
        request_id = str(uuid.uuid4())
        headers = {"x-amzn-requestid": request_id, "content-type": "application/json"}
        parsed = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {
                "RequestId": request_id,
                "HTTPStatusCode": 403,
                "HTTPHeaders": headers,
                "RetryAttempts": 0,
            },
        }
        return AWSResponse(url=url, status_code=403, headers=HTTPHeaders.from_dict(headers), raw=_EmptyBody()), parsed


class _EmptyBody:
    """The raw body of a refusal nobody reads (AWSResponse wants a stream)."""

    def stream(self) -> Any:
        return iter(())


def install(handlers_module: Any, policy_file: str) -> None:
    """Adds the checks to botocore's built-in handlers (called right after botocore.handlers executes)."""
    enforcer = CallEnforcer.from_file(policy_file)
    last = handlers_module.REGISTER_LAST
    handlers_module.BUILTIN_HANDLERS.extend(
        [
            ("before-parameter-build", enforcer.remember_params, last),
            ("before-call", enforcer.check_call, last),
            ("after-call.s3.HeadObject", enforcer.hide_missing_key),
            ("after-call.s3.GetObject", enforcer.hide_missing_key),
        ]
    )
