"""https audioUri settings in the template: only the functions that read audio (Access.AUDIO_URLS) are told the
stage's rules; the local stage allows local links and trusts the e2e test CA, the AWS stages neither (and their
config refuses to)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from infra_cdk.config import load_stage_config
from infra_cdk.function_catalog import FUNCTIONS, Access
from tests.infra.conftest import SynthesizedStage
from tests.infra.test_templates import _function_logical_id

pytestmark = pytest.mark.infra

REPO_ROOT = Path(__file__).resolve().parents[2]
AUDIO_READERS = {"Asr", "Pipeline"}


def _env(stage: SynthesizedStage, function_id: str) -> dict[str, Any]:
    props = stage.props("AWS::Lambda::Function")[_function_logical_id(stage, function_id)]
    variables: dict[str, Any] = props.get("Environment", {}).get("Variables", {})
    return variables


def test_the_functions_that_read_audio_fetch_links() -> None:
    assert {spec.id for spec in FUNCTIONS if Access.AUDIO_URLS in spec.access} == AUDIO_READERS


def test_the_local_stage_allows_local_links_and_trusts_the_test_ca(synthesized: dict[str, SynthesizedStage]) -> None:
    local = synthesized["local"]
    for function_id in AUDIO_READERS:
        env = _env(local, function_id)
        assert env["AUDIO_URL_ALLOW_LOCAL"] == "true"
        assert env["AUDIO_URL_CA_BUNDLE"] == str(REPO_ROOT / ".local" / "audio-url-ca.pem")
    assert not any(name.startswith("AUDIO_URL_") for name in _env(local, "TranslateText"))


def test_aws_stages_fetch_public_https_links_with_the_system_cas(cloud_stage: SynthesizedStage) -> None:
    for function_id in AUDIO_READERS:
        assert not any(name.startswith("AUDIO_URL_") for name in _env(cloud_stage, function_id))


@pytest.mark.parametrize("audio_urls", [{"allow_local": True}, {"ca_bundle": ".local/ca.pem"}])
def test_an_aws_stage_may_not_allow_local_links_or_extra_cas(audio_urls: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="local stage"):
        load_stage_config("dev", {"dev": {"audio_urls": audio_urls}})
