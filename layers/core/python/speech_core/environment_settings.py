"""Typed settings read from the environment, without pydantic: the base of `speech_core.settings`' models.

Why not pydantic-settings: importing it costs ~150 ms here (it loads asyncio, argparse, dotenv and
importlib.metadata for its sources), and pydantic itself ~170 ms, which is more than the authorizers' whole
cold-start budget (150 ms, issue 10); no dataclasses either (they import `inspect`, ~15 ms). The platform's
settings are flat scalars, so a small reader does the same job with the same rules as pydantic-settings:

- a field `name` is read from the variable `<env_prefix><NAME>`, matched case-insensitively; keyword
  arguments given to the constructor win over the environment;
- values are checked against the annotation (`str`, `int`, `float`, `bool`, `Literal[...]`, `SecretStr`, and
  `X | None`) with pydantic's lax parsing of strings (`"60"` is an int, `"true"`/`"yes"`/`"1"`... a bool) and the
  bounds given by `setting(gt=..., ge=..., lt=..., le=...)`;
- a missing required variable or a bad value raises `SettingsError` naming every variable at fault;
- a `check()` method, where a model defines one, validates the fields together (pydantic's model validator).

Models built on pydantic-settings elsewhere (e.g. a package's own settings) are still accepted by
`speech_core.settings.declare_environment`: both are classes whose call reads and validates the environment.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

_MISSING: Any = object()
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


class SettingsError(ValueError):
    """The environment does not satisfy a settings model; the message names each variable at fault."""


class SecretStr:
    """A string kept out of reprs and logs (pydantic's `SecretStr`, for settings): `get_secret_value()` reads it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')" if self._value else "SecretStr('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Setting:
    """A field's default, bounds and description (what `setting(...)` returns)."""

    __slots__ = ("default", "description", "ge", "gt", "le", "lt")

    def __init__(
        self,
        default: Any = _MISSING,
        description: str | None = None,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
    ) -> None:
        self.default, self.description = default, description
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le


def setting(
    default: Any = _MISSING,
    *,
    description: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> Any:
    """A field with a default (or none: required), numeric bounds and a description, like pydantic's `Field`."""
    return Setting(default, description, gt, ge, lt, le)


class FieldSpec:
    """One field: its name, the variable it is read from, its annotation and its `Setting`."""

    __slots__ = ("annotation", "name", "setting", "variable")

    def __init__(self, name: str, variable: str, annotation: Any, setting: Setting) -> None:
        self.name, self.variable, self.annotation, self.setting = name, variable, annotation, setting

    @property
    def required(self) -> bool:
        return self.setting.default is _MISSING


def _parse(annotation: Any, value: Any) -> Any:
    """`value` (a string from the environment, or a constructor argument) as `annotation`; ValueError if not."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [option for option in get_args(annotation) if option is not type(None)]
        if value is None:
            return None
        errors = []
        for option in options:
            try:
                return _parse(option, value)
            except ValueError as error:
                errors.append(str(error))
        raise ValueError("; ".join(errors))
    if origin is Literal:
        for choice in get_args(annotation):
            if value == choice:
                return choice
        raise ValueError(f"expected one of {', '.join(repr(choice) for choice in get_args(annotation))}")
    if annotation is str:
        if isinstance(value, str):
            return value
        raise ValueError("expected a string")
    if annotation is SecretStr:
        if isinstance(value, SecretStr):
            return value
        if isinstance(value, str):
            return SecretStr(value)
        raise ValueError("expected a string")
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        text = value.strip().lower() if isinstance(value, str) else None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("expected a boolean (true/false, yes/no, on/off, 1/0)")
    if annotation is int:
        if isinstance(value, bool):
            raise ValueError("expected an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ValueError("expected an integer")
    if annotation is float:
        if isinstance(value, bool):
            raise ValueError("expected a number")
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise ValueError("expected a number")
    raise TypeError(f"settings fields cannot be {annotation!r}")  # a model's mistake, not the environment's


def _check_bounds(spec: Setting, value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    for bound, holds, word in (
        (spec.gt, lambda b: value > b, "greater than"),
        (spec.ge, lambda b: value >= b, "greater than or equal to"),
        (spec.lt, lambda b: value < b, "less than"),
        (spec.le, lambda b: value <= b, "less than or equal to"),
    ):
        if bound is not None and not holds(bound):
            raise ValueError(f"must be {word} {bound}")


class EnvironmentSettings:
    """Base of a settings model: annotated class attributes are its fields, read from the environment when
    the model is called (see the module doc). `env_prefix` is a class keyword: `class X(EnvironmentSettings,
    env_prefix="SYNC_")`."""

    env_prefix: ClassVar[str] = ""
    _fields: ClassVar[tuple[FieldSpec, ...]] = ()

    def __init_subclass__(cls, env_prefix: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if env_prefix is not None:
            cls.env_prefix = env_prefix
        fields: dict[str, FieldSpec] = {field.name: field for field in cls._fields}
        namespace = vars(sys.modules[cls.__module__])  # the module being executed: its names so far
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            hint = eval(annotation, namespace) if isinstance(annotation, str) else annotation  # noqa: S307
            if name.startswith("_") or get_origin(hint) is ClassVar:
                continue
            default = cls.__dict__.get(name, _MISSING)
            spec = default if isinstance(default, Setting) else Setting(default)
            fields[name] = FieldSpec(name, (cls.env_prefix + name).upper(), hint, spec)
        cls._fields = tuple(fields.values())

    def __init__(self, **values: Any) -> None:
        unknown = set(values) - {field.name for field in self._fields}
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        environment = {name.lower(): value for name, value in os.environ.items()}
        problems: list[str] = []
        for field in self._fields:
            if field.name in values:
                raw, source = values[field.name], field.name
            else:
                raw, source = environment.get(field.variable.lower(), _MISSING), field.variable
            if raw is _MISSING:
                if field.required:
                    problems.append(f"{field.variable}: required, not set")
                    continue
                value = field.setting.default
            else:
                try:
                    value = _parse(field.annotation, raw)
                    _check_bounds(field.setting, value)
                except ValueError as error:
                    problems.append(f"{source}: {error}")
                    continue
            object.__setattr__(self, field.name, value)
        if not problems:
            try:
                self.check()
            except ValueError as error:
                problems.append(str(error))
        if problems:
            raise SettingsError(f"{type(self).__name__}: " + "; ".join(problems))

    def check(self) -> None:
        """Validate the fields together (override; raise ValueError)."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __repr__(self) -> str:
        fields = ", ".join(f"{field.name}={getattr(self, field.name)!r}" for field in self._fields)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, field.name) == getattr(other, field.name) for field in self._fields
        )

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, field.name) for field in self._fields))

    @classmethod
    def fields(cls) -> tuple[FieldSpec, ...]:
        """The model's fields, with the variable each is read from."""
        return cls._fields

    @classmethod
    def environment_variables(cls) -> dict[str, bool]:
        """Variable name -> required, for the contract between a function's template and its settings."""
        return {field.variable: field.required for field in cls._fields}
