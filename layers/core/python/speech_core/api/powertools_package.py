"""Importing Powertools' REST resolver without the rest of `aws_lambda_powertools.event_handler`.

That package's `__init__` imports every resolver Powertools has (AppSync, which loads asyncio, AppSync events,
Bedrock agents, VPC Lattice, function URLs, the HTTP resolver...): ~40-60 ms of an HTTP function's 300 ms
cold-start budget (issue 10) spent on modules no route uses. `install()` (run by `speech_core.api`'s
`__init__`, so before any route imports Powertools) puts a finder on `sys.meta_path` that loads that package
*without running its `__init__`*: its submodules import as usual, and a name the `__init__` would have defined
is looked up on first access (PEP 562) — the REST names from `api_gateway` directly, anything else by running
the real `__init__` then, so every name Powertools documents still resolves. The finder does nothing until the
package is imported (the authorizers never import it) and removes itself once used.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # types only: importlib.abc imports importlib.resources (~50 ms)
    from importlib.abc import Loader

PACKAGE = "aws_lambda_powertools.event_handler"
#: what the package's `__init__` re-exports from `event_handler.api_gateway` (served without running it)
REST_NAMES = frozenset(
    {"ALBResolver", "APIGatewayHttpResolver", "ApiGatewayResolver", "APIGatewayRestResolver", "CORSConfig", "Response"}
)


class _DeferredInitLoader:
    """Creates the package module with its path set but its `__init__` not run (see the module doc)."""

    def __init__(self, real: ModuleSpec) -> None:
        self._real = real

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        real = self._real
        directories = list(real.submodule_search_locations or ())

        def is_submodule(name: str) -> bool:
            return any(
                os.path.exists(os.path.join(d, f"{name}.py")) or os.path.isdir(os.path.join(d, name))
                for d in directories
            )

        def __getattr__(name: str) -> Any:  # noqa: N807 - PEP 562
            if name.startswith("__") and name != "__all__":
                raise AttributeError(name)
            if name in REST_NAMES:
                from aws_lambda_powertools.event_handler import api_gateway

                value = getattr(api_gateway, name)
                setattr(module, name, value)
                return value
            if is_submodule(name):  # `from package import submodule`: let the import system load it
                raise AttributeError(name)
            del module.__getattr__  # any other name: run the real `__init__` once, as a plain import would have
            module.__file__ = real.origin
            assert real.loader is not None
            real.loader.exec_module(module)
            if name not in module.__dict__:
                raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
            return module.__dict__[name]

        module.__getattr__ = __getattr__  # type: ignore[method-assign]


class _EventHandlerFinder:
    """A `sys.meta_path` finder for PACKAGE alone (see the module doc)."""

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name != PACKAGE:
            return None
        if cls in sys.meta_path:
            sys.meta_path.remove(cls)  # once loaded, the package stays in sys.modules
        real = PathFinder.find_spec(name, path)
        if real is None or real.submodule_search_locations is None:
            return None
        spec = ModuleSpec(name, cast("Loader", _DeferredInitLoader(real)), origin=real.origin, is_package=True)
        spec.submodule_search_locations = list(real.submodule_search_locations)
        spec.has_location = True
        return spec


def install() -> None:
    """Load PACKAGE without its `__init__` from now on (a no-op once it is imported, or when installed)."""
    if PACKAGE not in sys.modules and _EventHandlerFinder not in sys.meta_path:
        sys.meta_path.insert(0, _EventHandlerFinder)
