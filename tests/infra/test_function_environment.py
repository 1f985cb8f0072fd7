"""The template and the code held to one contract, for every function of every stage.

- Each function's handler string resolves to an importable module with a callable `handler` (a catalog entry
  without code fails here; planned entries stay out of the template until their code lands).
- Each handler module declares the settings models its code reads (`ENVIRONMENT = declare_environment(...)`).
- Every variable the template writes is read by one of those models, every variable a model requires is
  written, and the models validate against the template's values (CloudFormation tokens become placeholder
  strings). Inside Lambda, `speech_core.settings` refuses to read a model the handler did not declare, so the
  declaration cannot drift from the code either (the e2e suite runs every route that way).
"""

from __future__ import annotations

import importlib
import os
from typing import Any
from unittest import mock

import pytest
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra_cdk.function_catalog import FUNCTIONS, PLANNED_FUNCTIONS
from speech_core.environment_settings import EnvironmentSettings, SettingsError
from speech_core.settings import DatabaseSettings, PowertoolsSettings
from tests.infra.conftest import SynthesizedStage

pytestmark = pytest.mark.infra


def variables_read_by(model: type[EnvironmentSettings | BaseSettings]) -> dict[str, bool]:
    """Environment variable -> required, for one settings model: the platform's own (`EnvironmentSettings`) or a
    pydantic-settings one (env_prefix and aliases applied)."""
    if issubclass(model, EnvironmentSettings):
        return model.environment_variables()
    prefix = str(model.model_config.get("env_prefix") or "")
    variables: dict[str, bool] = {}
    for name, field in model.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
        variables[(alias or prefix + name).upper()] = field.is_required()
    return variables


def _placeholder(name: str, value: Any) -> str:
    """A template value as the function would see it: literals as they are, tokens as a stand-in string."""
    return value if isinstance(value, str) else f"resolved-at-deploy-{name.lower()}"


def contract_violations(
    environment: dict[str, Any], models: tuple[type[EnvironmentSettings | BaseSettings], ...]
) -> list[str]:
    """What breaks the contract between a template environment and the settings models a function reads."""
    read: dict[str, bool] = {}
    for model in models:
        read.update(variables_read_by(model))
    problems = [
        f"{name} is written by the template but no declared model reads it" for name in environment if name not in read
    ]
    problems += [
        f"{name} is required but the template does not write it"
        for name, req in read.items()
        if req and name not in environment
    ]
    values = {name: _placeholder(name, value) for name, value in environment.items()}
    with mock.patch.dict(os.environ, values, clear=True):
        for model in models:
            try:
                model()
            except (ValidationError, SettingsError) as error:
                problems.append(f"{model.__name__} does not validate against the template: {error}")
    return problems


def _handler_module(handler: str) -> Any:
    module_path, _, attribute = handler.rpartition(".")
    module = importlib.import_module(module_path.replace("/", "."))
    assert callable(getattr(module, attribute, None)), f"{handler}: no callable {attribute!r}"
    return module


def _template_functions(stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    """Handler string -> properties, for the platform's own functions (those under functions/)."""
    ours: dict[str, dict[str, Any]] = {}
    for logical_id, props in stage.props("AWS::Lambda::Function").items():
        handler = props.get("Handler", "")
        if handler.startswith("functions/"):
            ours[handler] = props
        else:  # CDK's own provider functions (trigger, log retention...) are Node.js, never platform code
            assert str(props.get("Runtime", "")).startswith("nodejs"), f"{logical_id} runs {handler!r}"
    return ours


def test_every_deployed_handler_resolves_and_planned_ones_are_not_deployed(stage: SynthesizedStage) -> None:
    deployed = _template_functions(stage)
    assert set(deployed) == {spec.handler for spec in FUNCTIONS}
    for handler in deployed:
        _handler_module(handler)
    assert not {spec.handler for spec in PLANNED_FUNCTIONS} & set(deployed)


def test_each_function_reads_exactly_what_its_template_writes(stage: SynthesizedStage) -> None:
    problems: list[str] = []
    for handler, props in _template_functions(stage).items():
        module = _handler_module(handler)
        models = getattr(module, "ENVIRONMENT", None)
        assert isinstance(models, tuple) and PowertoolsSettings in models, f"{handler} declares no ENVIRONMENT"
        environment = props.get("Environment", {}).get("Variables", {})
        problems += [f"{stage.stage} {handler}: {p}" for p in contract_violations(environment, models)]
    assert not problems, "\n".join(problems)


# --- the check itself fails on the old contract (the settings field and template of before this change) --------
class _DatabaseSettingsBefore(BaseSettings):
    """DatabaseSettings as it was: the proxy host was read from DATABASE_HOST_OVERRIDE."""

    model_config = SettingsConfigDict(extra="ignore")
    database_url: str | None = None
    database_secret_arn: str | None = None
    database_host_override: str | None = Field(default=None)
    database_name: str = "speech"


AURORA_ENVIRONMENT_BEFORE = {
    "STAGE": "dev",
    "LOG_LEVEL": "INFO",
    "POWERTOOLS_SERVICE_NAME": "usage",
    "POWERTOOLS_METRICS_NAMESPACE": "SpeechPlatform",
    "DATABASE_SECRET_ARN": {"Ref": "DatabaseClusterSecretAttachment"},
    "DATABASE_HOST": {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]},
    "DATABASE_NAME": "speech",
}


def test_the_contract_refuses_the_proxy_host_nobody_read() -> None:
    problems = contract_violations(AURORA_ENVIRONMENT_BEFORE, (PowertoolsSettings, _DatabaseSettingsBefore))
    assert "DATABASE_HOST is written by the template but no declared model reads it" in problems
    assert "STAGE is written by the template but no declared model reads it" in problems
    assert not contract_violations(
        {k: v for k, v in AURORA_ENVIRONMENT_BEFORE.items() if k not in {"STAGE", "LOG_LEVEL"}},
        (PowertoolsSettings, DatabaseSettings),
    )


def test_the_contract_refuses_a_missing_required_variable() -> None:
    class Needs(BaseSettings):
        triton_url: str

    assert "TRITON_URL is required but the template does not write it" in contract_violations({}, (Needs,))
