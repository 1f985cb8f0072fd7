"""IAM policy evaluation as AWS does it for identity-based policies (stdlib only: Lambda workers load it).

One evaluator serves the local cloud: the Lambda authorizers' returned policies (`execute-api:Invoke` on a
method ARN), each played function's role policies (every AWS call its code makes) and the presigned-URL
check of the S3 pass-through.

Kept from AWS: an explicit Deny wins over any Allow; no matching Allow is a denial; `Action`/`NotAction`
and `Resource`/`NotResource`; `*` (any run of characters, `/` and `:` included) and `?` (one character)
in actions and resources; action names compare case-insensitively, resources case-sensitively.
Not played: `Condition` blocks (a statement counts as if its condition held), policy variables (`${...}`),
resource-based policies, permissions boundaries, session policies and SCPs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Literal

Verdict = Literal["allow", "explicit deny", "no allow"]


class PolicyError(ValueError):
    """A policy document that is not a valid IAM policy (the authorizer answers 500; plans refuse it)."""


def evaluate(policies: Iterable[Mapping[str, Any]], action: str, resource: str) -> Verdict:
    """The verdict of a set of policies (a role's) for one request: explicit Deny > Allow > implicit deny."""
    allowed = False
    for policy in policies:
        verdict = policy_verdict(policy, action, resource)
        if verdict == "explicit deny":
            return verdict
        allowed = allowed or verdict == "allow"
    return "allow" if allowed else "no allow"


def policy_verdict(policy: Mapping[str, Any], action: str, resource: str) -> Verdict:
    """The verdict of one policy document; raises PolicyError when it is malformed."""
    allowed = False
    for statement in statements_of(policy):
        if not _statement_applies(statement, action, resource):
            continue
        if statement["Effect"] == "Deny":
            return "explicit deny"
        allowed = True
    return "allow" if allowed else "no allow"


def statements_of(policy: Any) -> list[dict[str, Any]]:
    """The statements of a policy document, checked for the fields evaluation needs."""
    if not isinstance(policy, Mapping) or not isinstance(policy.get("Statement"), list | dict):
        raise PolicyError("a policy document needs a Statement (an object or a list of objects)")
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    for statement in statements:
        if not isinstance(statement, dict):
            raise PolicyError(f"statement {statement!r} is not an object")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError(f"statement Effect must be Allow or Deny, not {statement.get('Effect')!r}")
        if ("Action" in statement) == ("NotAction" in statement):
            raise PolicyError("a statement needs exactly one of Action and NotAction")
        if ("Resource" in statement) == ("NotResource" in statement):
            raise PolicyError("a statement needs exactly one of Resource and NotResource")
    return statements


def _statement_applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        action_ok = any(action_matches(p, action) for p in _as_list(statement["Action"]))
    else:
        action_ok = not any(action_matches(p, action) for p in _as_list(statement["NotAction"]))
    if not action_ok:
        return False
    if "Resource" in statement:
        return any(resource_matches(p, resource) for p in _as_list(statement["Resource"]))
    return not any(resource_matches(p, resource) for p in _as_list(statement["NotResource"]))


def action_matches(pattern: str, action: str) -> bool:
    """`s3:Get*` matches `s3:GetObject`; service prefix and name compare case-insensitively."""
    return _compiled(pattern, ignore_case=True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """`arn:aws:s3:::b/a/*` matches `arn:aws:s3:::b/a/x/y`; case-sensitive, `*` crosses `/` and `:`."""
    return _compiled(pattern, ignore_case=False).fullmatch(resource) is not None


@lru_cache(maxsize=1024)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def denial_message(principal_arn: str, action: str, resource: str, verdict: Verdict, *, quote: bool = False) -> str:
    """AWS's wording for a refused call (`quote`: S3 puts the resource ARN in double quotes)."""
    target = "" if resource == "*" else f' on resource: "{resource}"' if quote else f" on resource: {resource}"
    if verdict == "explicit deny":
        reason = "with an explicit deny in an identity-based policy"
    else:
        reason = f"because no identity-based policy allows the {action} action"
    return f"User: {principal_arn} is not authorized to perform: {action}{target} {reason}"
