"""Importing Powertools' REST resolver without the rest of its packages.

Two Powertools packages import far more in their `__init__` than a REST function uses:
`aws_lambda_powertools.event_handler` imports every resolver (AppSync, which loads asyncio, AppSync events,
Bedrock agents, VPC Lattice, function URLs, the HTTP resolver...), and `aws_lambda_powertools.utilities
.data_classes`, which `api_gateway` imports for its event classes, imports every event source's data class
(CodePipeline's loads zipfile and tempfile...): ~50-70 ms of an HTTP function's 300 ms cold-start budget
(issue 10) spent on modules no route uses.

`install()` (run by `speech_core.api`'s `__init__`, so before any route imports Powertools) puts a finder on
`sys.meta_path` that loads those packages *without running their `__init__`*: their submodules import as usual,
and a name the `__init__` would have defined is looked up on first access (PEP 562): a name the `__init__`
imports from one of its submodules (read from its `from ... import` statements) is imported from there alone;
any other name runs the real `__init__` then, so every name Powertools documents still resolves. The finder
does nothing until such a package is imported (the authorizers import neither) and drops each once loaded.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # types only: importlib.abc imports importlib.resources (~50 ms)
    from importlib.abc import Loader

#: packages loaded without their `__init__` (see the module doc)
DEFERRED_PACKAGES = frozenset({"aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes"})


def reexported_names(package: str, init_source: str) -> dict[str, str]:
    """Name -> absolute module, for each `from <module> import <name>` at the top level of a package's
    `__init__` (what it re-exports)."""
    import ast  # cold start: already loaded by Powertools' logger (inspect); parsing an __init__ is ~1 ms

    names: dict[str, str] = {}
    for node in ast.parse(init_source).body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            for alias in node.names:
                names[alias.asname or alias.name] = module
    return names


class _DeferredInitLoader:
    """Creates a package module with its path set but its `__init__` not run (see the module doc)."""

    def __init__(self, real: ModuleSpec) -> None:
        self._real = real

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        real, package = self._real, module.__name__
        directories = list(real.submodule_search_locations or ())
        assert real.origin is not None and real.loader is not None
        with open(real.origin, encoding="utf-8") as init_file:
            module_of = reexported_names(package, init_file.read())

        def is_submodule(name: str) -> bool:
            return any(
                os.path.exists(os.path.join(d, f"{name}.py")) or os.path.isdir(os.path.join(d, name))
                for d in directories
            )

        def __getattr__(name: str) -> Any:  # noqa: N807 - PEP 562
            if name.startswith("__") and name != "__all__":
                raise AttributeError(name)
            source = module_of.get(name)
            if source is not None and source != package:
                value = getattr(import_module(source), name)
                setattr(module, name, value)
                return value
            if is_submodule(name):  # `from package import submodule`: let the import system load it
                raise AttributeError(name)
            del module.__getattr__  # any other name: run the real `__init__` once, as a plain import would have
            real.loader.exec_module(module)  # type: ignore[union-attr]
            if name not in module.__dict__:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            return module.__dict__[name]

        module.__getattr__ = __getattr__  # type: ignore[method-assign]


class _DeferredInitFinder:
    """A `sys.meta_path` finder for DEFERRED_PACKAGES alone (see the module doc)."""

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name not in DEFERRED_PACKAGES:
            return None
        real = PathFinder.find_spec(name, path)
        if real is None or real.submodule_search_locations is None or real.origin is None:
            return None
        spec = ModuleSpec(name, cast("Loader", _DeferredInitLoader(real)), origin=real.origin, is_package=True)
        spec.submodule_search_locations = list(real.submodule_search_locations)
        spec.has_location = True
        return spec


def install() -> None:
    """Load DEFERRED_PACKAGES without their `__init__` from now on (a no-op when installed already)."""
    if _DeferredInitFinder not in sys.meta_path:
        sys.meta_path.insert(0, _DeferredInitFinder)
