"""Synthesizes every stage once per test session (in-process, no CDK CLI) and shares the templates.

cdk-nag runs during each synthesis: a stage with an unacknowledged finding fails its fixture, and with it
every test of that stage.
"""

from __future__ import annotations

import os

# jsii prints a banner on Node 20; silence it before aws_cdk is imported.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

STAGES = ("local", "dev", "staging", "prod")


@dataclass(frozen=True)
class SynthesizedStage:
    stage: str
    template: dict[str, Any]
    template_path: Path
    config: Any  # infra_cdk.config.StageConfig

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, for every resource of `resource_type`."""
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def props(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {lid: res.get("Properties", {}) for lid, res in self.resources(resource_type).items()}


def _synthesize(stage: str, outdir: Path) -> SynthesizedStage:
    from infra_cdk.app import build_app, build_stack, cdk_json_context
    from infra_cdk.config import load_stage_config

    config = load_stage_config(stage, cdk_json_context()["stages"])
    app = build_app(stage, outdir=str(outdir))
    stack = build_stack(app, config)
    assembly = app.synth()
    artifact = assembly.get_stack_by_name(stack.stack_name)
    return SynthesizedStage(
        stage=stage,
        template=artifact.template,
        template_path=Path(outdir) / artifact.template_file,
        config=config,
    )


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthesizedStage]:
    """Every stage, synthesized once (cdk-nag checks included)."""
    return {stage: _synthesize(stage, tmp_path_factory.mktemp(f"cdk-{stage}")) for stage in STAGES}


@pytest.fixture(params=STAGES)
def stage(request: pytest.FixtureRequest, synthesized: dict[str, SynthesizedStage]) -> SynthesizedStage:
    return synthesized[request.param]


@pytest.fixture(params=[s for s in STAGES if s != "local"])
def cloud_stage(request: pytest.FixtureRequest, synthesized: dict[str, SynthesizedStage]) -> SynthesizedStage:
    """The stages deployed to AWS (not LocalStack)."""
    return synthesized[request.param]
