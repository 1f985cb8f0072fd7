"""Evaluates CloudFormation intrinsic functions against known values.

The local runtime reads everything (handlers, environment, routes, queues) from the synthesized template, so
its properties arrive wrapped in `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`... This module turns them into
plain values, given what each logical id stands for locally.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

REGION = "us-east-1"
ACCOUNT_ID = "000000000000"

PSEUDO_PARAMETERS: dict[str, str] = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": "",
}


class UnresolvableError(ValueError):
    """A template value refers to something the local cloud does not know."""


RefLookup = Callable[[str], Any]
AttLookup = Callable[[str, str], Any]
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


class IntrinsicResolver:
    """Resolves a template value; `ref(logical_id)` and `get_att(logical_id, attribute)` supply the leaves."""

    def __init__(
        self, ref: RefLookup, get_att: AttLookup, stack_name: str, conditions: dict[str, bool] | None = None
    ) -> None:
        self._ref = ref
        self._get_att = get_att
        self._pseudo = {
            **PSEUDO_PARAMETERS,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/local",
        }
        self._conditions = conditions or {}

    def resolve(self, value: Any) -> Any:
        """Returns `value` with every intrinsic function evaluated (recursively)."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._functions().get(key)
            if handler is not None:
                return handler(arg)
        return {key: self.resolve(item) for key, item in value.items()}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._eval_ref,
            "Fn::GetAtt": self._eval_get_att,
            "Fn::Join": lambda arg: str(arg[0]).join(str(self.resolve(p)) for p in self.resolve(arg[1])),
            "Fn::Sub": self._eval_sub,
            "Fn::Select": lambda arg: self.resolve(arg[1])[int(self.resolve(arg[0]))],
            "Fn::Split": lambda arg: str(self.resolve(arg[1])).split(arg[0]),
            "Fn::If": self._eval_if,
            "Fn::Base64": lambda arg: __import__("base64").b64encode(str(self.resolve(arg)).encode()).decode(),
            "Fn::ToJsonString": lambda arg: __import__("json").dumps(self.resolve(arg), separators=(",", ":")),
        }

    def _eval_ref(self, name: str) -> Any:
        if name in self._pseudo:
            return self._pseudo[name]
        return self._ref(name)

    def _eval_get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            logical_id, attribute = arg.split(".", 1)
        else:
            logical_id, attribute = arg[0], self.resolve(arg[1])
        return self._get_att(logical_id, attribute)

    def _eval_sub(self, arg: Any) -> str:
        template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] not in self._pseudo:
                logical_id, attribute = name.split(".", 1)
                return str(self._get_att(logical_id, attribute))
            return str(self._eval_ref(name))

        return _SUB_VAR.sub(substitute, template).replace("${!", "${")

    def _eval_if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        if name not in self._conditions:
            raise UnresolvableError(f"unknown condition {name}")
        return self.resolve(when_true if self._conditions[name] else when_false)


def references(value: Any) -> set[tuple[str, str | None]]:
    """Every (logical id, attribute or None for Ref) that `value` refers to, pseudo parameters excluded."""
    found: set[tuple[str, str | None]] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        if len(value) == 1 and "Ref" in value and isinstance(value["Ref"], str):
            if not value["Ref"].startswith("AWS::"):
                found.add((value["Ref"], None))
            return found
        if len(value) == 1 and "Fn::GetAtt" in value:
            arg = value["Fn::GetAtt"]
            logical_id, attribute = arg.split(".", 1) if isinstance(arg, str) else (arg[0], arg[1])
            found.add((logical_id, attribute if isinstance(attribute, str) else None))
            return found
        if len(value) == 1 and "Fn::Sub" in value:
            arg = value["Fn::Sub"]
            template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            for name in _SUB_VAR.findall(template):
                if name in variables or name.startswith("AWS::"):
                    continue
                if "." in name:
                    logical_id, attribute = name.split(".", 1)
                    found.add((logical_id, attribute))
                else:
                    found.add((name, None))
            found |= references(variables)
            return found
        for item in value.values():
            found |= references(item)
    return found
