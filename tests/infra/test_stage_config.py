"""The stage configuration model: cdk.json's stages validate, and inconsistent settings are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infra_cdk.config import StageConfig, load_stage_config

pytestmark = pytest.mark.infra


def test_cdk_json_defines_the_four_stages_and_they_validate() -> None:
    from infra_cdk.app import cdk_json_context

    stages = cdk_json_context()["stages"]
    assert set(stages) == {"dev", "staging", "prod", "local"}
    configs = {name: load_stage_config(name, stages) for name in stages}
    assert configs["prod"].database.deletion_protection is True
    assert configs["prod"].storage.retain_on_delete is True
    assert configs["dev"].storage.auto_delete_objects is True
    assert configs["local"].network.enabled is False


def test_unknown_stage_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown stage 'qa'.*dev, local"):
        load_stage_config("qa", {"dev": {}, "local": {}})


def test_no_vpc_requires_external_database_and_inference() -> None:
    with pytest.raises(ValidationError, match="network.enabled=false"):
        StageConfig.model_validate({"stage": "x1", "network": {"enabled": False}})


def test_log_retention_must_be_one_cloudwatch_accepts() -> None:
    with pytest.raises(ValidationError, match="not a CloudWatch Logs retention"):
        StageConfig.model_validate({"stage": "x1", "functions": {"log_retention_days": 10}})


def test_unknown_settings_are_refused_not_ignored() -> None:
    with pytest.raises(ValidationError, match="extra"):
        StageConfig.model_validate({"stage": "x1", "storage": {"retention": 5}})


def test_auto_delete_and_retain_contradict() -> None:
    with pytest.raises(ValidationError, match="contradicts"):
        StageConfig.model_validate({"stage": "x1", "storage": {"auto_delete_objects": True, "retain_on_delete": True}})
