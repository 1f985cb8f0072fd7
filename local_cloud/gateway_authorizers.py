"""Plays API Gateway's Lambda authorizers (REST TOKEN/REQUEST and WebSocket REQUEST).

Kept from AWS: a missing identity source answers 401 without calling the function; an authorizer that
raises "Unauthorized" answers 401; the returned IAM policy is evaluated against the method ARN (explicit Deny
wins, no matching Allow is a 403); any other failure or a malformed answer is a 500; the result (policy +
context) is cached per identity-source values for the authorizer's TTL and re-evaluated against the method
ARN of each request, like AWS does (iam_policy_evaluator.py); the context (string/number/boolean values)
reaches the function.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from local_cloud.iam_policy_evaluator import PolicyError, Verdict, policy_verdict
from local_cloud.lambda_workers import FunctionPool, ThrottledError
from local_cloud.runtime_plan import AuthorizerSpec

Outcome = Literal["allow", "unauthorized", "deny", "error"]


@dataclass
class AuthorizerDecision:
    outcome: Outcome
    principal_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    cached: bool = False


@dataclass
class RequestIdentity:
    """The parts of a request identity sources can name (headers by lower-case name)."""

    headers: dict[str, str]
    query: dict[str, str]
    stage_variables: dict[str, str] = field(default_factory=dict)

    def value(self, source: str) -> str | None:
        """Value of `method.request.header.X`, `route.request.querystring.X`, `stageVariables.X`..."""
        parts = source.split(".")
        if len(parts) >= 4 and parts[1] == "request":
            kind, name = parts[2], ".".join(parts[3:])
            if kind == "header":
                return self.headers.get(name.lower())
            if kind == "querystring":
                return self.query.get(name)
        if parts[0] == "stageVariables":
            return self.stage_variables.get(".".join(parts[1:]))
        return None


def policy_allows(policy: Any, method_arn: str) -> Verdict | None:
    """The verdict of an authorizer's IAM policy for `execute-api:Invoke` on `method_arn`; None when malformed."""
    try:
        return policy_verdict(policy, "execute-api:Invoke", method_arn)
    except PolicyError:
        return None


@dataclass
class AuthorizerRunner:
    """One authorizer: its function, its cache."""

    spec: AuthorizerSpec
    pool: FunctionPool
    _cache: dict[tuple[str | None, ...], tuple[float, AuthorizerDecision, Any]] = field(default_factory=dict)
    invocations: int = 0

    async def authorize(
        self, identity: RequestIdentity, method_arn: str, request_event: dict[str, Any]
    ) -> AuthorizerDecision:
        """Decides one request; `request_event` holds the REQUEST-type fields (headers, query, context...)."""
        values = tuple(identity.value(source) for source in self.spec.identity_sources)
        token = values[0] if self.spec.type == "TOKEN" and values else None
        caching = self.spec.ttl_s > 0
        if self.spec.type == "TOKEN":
            if not token:
                return AuthorizerDecision("unauthorized", message="Unauthorized")
            if self.spec.validation_expression and not re.fullmatch(self.spec.validation_expression, token):
                return AuthorizerDecision("unauthorized", message="Unauthorized")
        elif (caching or values) and any(not v for v in values):
            return AuthorizerDecision("unauthorized", message="Unauthorized")

        now = time.monotonic()
        cached = self._cache.get(values) if caching else None
        if cached and cached[0] > now:
            _, decision, policy = cached
            return self._evaluate(policy, decision, method_arn, cached=True)

        if self.spec.type == "TOKEN":
            event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        else:
            event = {"type": "REQUEST", "methodArn": method_arn, **request_event}
        self.invocations += 1
        try:
            result = await self.pool.invoke(event)
        except ThrottledError:
            return AuthorizerDecision("error", message="authorizer throttled")
        if not result.ok:
            assert result.error is not None
            if result.error.get("errorMessage") == "Unauthorized":
                return AuthorizerDecision("unauthorized", message="Unauthorized")
            return AuthorizerDecision("error", message=str(result.error.get("errorMessage")))
        answer = result.payload
        if not isinstance(answer, dict) or "policyDocument" not in answer:
            return AuthorizerDecision("error", message="authorizer answer has no policyDocument")
        context = answer.get("context") or {}
        if not isinstance(context, dict) or any(not isinstance(v, str | int | float | bool) for v in context.values()):
            return AuthorizerDecision("error", message="authorizer context values must be string, number or boolean")
        decision = AuthorizerDecision("allow", principal_id=str(answer.get("principalId", "")), context=context)
        if caching:
            self._cache[values] = (now + self.spec.ttl_s, decision, answer["policyDocument"])
        return self._evaluate(answer["policyDocument"], decision, method_arn, cached=False)

    @staticmethod
    def _evaluate(policy: Any, decision: AuthorizerDecision, method_arn: str, cached: bool) -> AuthorizerDecision:
        verdict = policy_allows(policy, method_arn)
        if verdict is None:
            return AuthorizerDecision("error", message="malformed policyDocument", cached=cached)
        if verdict != "allow":
            message = "User is not authorized to access this resource"
            if verdict == "explicit deny":
                message += " with an explicit deny"
            return AuthorizerDecision(
                "deny", principal_id=decision.principal_id, context=decision.context, message=message, cached=cached
            )
        return AuthorizerDecision("allow", principal_id=decision.principal_id, context=decision.context, cached=cached)
