"""pydantic's plugin discovery, skipped where the function's settings disable every plugin.

At its first model build pydantic imports `pydantic.plugin._loader`, which imports `importlib.metadata` (with
email, csv, zipfile...) at module level and then scans every installed distribution's entry points for a
`pydantic` plugin: ~25-60 ms of an HTTP function's cold start here, for plugins the platform never uses. Where
PYDANTIC_DISABLE_PLUGINS disables them all (CDK writes `__all__` for every function; `PydanticSettings`),
`install()` puts a stand-in for that module in `sys.modules` whose `get_plugins()` answers what pydantic's own
answers under that setting: no plugin. Anywhere else (tests, tools) pydantic loads and scans as usual.
"""

from __future__ import annotations

import sys
from types import ModuleType

from speech_core.settings import PydanticSettings, read_settings

LOADER = "pydantic.plugin._loader"
#: the values for which pydantic's `get_plugins()` returns no plugin without looking (pydantic/plugin/_loader.py)
DISABLE_ALL = frozenset({"__all__", "1", "true"})


def _no_plugins() -> tuple[()]:
    return ()


def install() -> bool:
    """Put the stand-in loader in place where every plugin is disabled; True when it was put in place."""
    if LOADER in sys.modules or read_settings(PydanticSettings).pydantic_disable_plugins not in DISABLE_ALL:
        return False
    stand_in = ModuleType(LOADER, "pydantic's plugin loader where PYDANTIC_DISABLE_PLUGINS disables every plugin")
    stand_in.get_plugins = _no_plugins  # type: ignore[attr-defined]
    sys.modules[LOADER] = stand_in
    return True
