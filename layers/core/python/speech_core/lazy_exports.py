"""Package attributes loaded on first access (PEP 562), so a function imports only what its route uses."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, module_of: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], object]:
    """A module-level `__getattr__` for `package`: `name` is imported from `package.<module_of[name]>` the first
    time it is asked for, then kept in the package's `namespace` so later lookups skip this function."""

    def __getattr__(name: str) -> object:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__
