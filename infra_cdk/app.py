"""CDK entry point: `cdk synth -c stage=dev` (cdk.json runs `python -m infra_cdk.app`).

`build_app` is what tests call to synthesize a stage in-process. cdk-nag's AwsSolutions checks run on
every synth; a finding that is neither fixed nor suppressed with a reason is an error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from infra_cdk import names
from infra_cdk.config import StageConfig, load_stage_config
from infra_cdk.platform_stack import SpeechPlatformStack

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """The `context` block of the repository's cdk.json."""
    return json.loads(CDK_JSON.read_text())["context"]


def _truthy(value: Any) -> bool:
    return str(value).lower() in {"1", "true", "yes"}


def build_stack(
    app: cdk.App, config: StageConfig, *, require_built_layers: bool = False, nag: bool = True
) -> SpeechPlatformStack:
    """Add the stack of `config.stage` to `app` (with cdk-nag checks unless nag=False)."""
    env = cdk.Environment(account=config.account, region=config.region) if config.account or config.region else None
    stack = SpeechPlatformStack(
        app,
        names.stack_name(config.stage),
        config=config,
        require_built_layers=require_built_layers,
        env=env,
        description=f"Speech platform ({config.stage}): ASR, TTS, NMT on Lambda, API Gateway, S3, SQS, "
        "Step Functions and Triton",
    )
    if nag:
        add_nag_checks(app)
    return stack


def add_nag_checks(app: cdk.App) -> None:
    """Run cdk-nag's AwsSolutions pack at synth: an unacknowledged finding fails synthesis."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


def build_app(stage: str, *, outdir: str | None = None, extra_context: dict[str, Any] | None = None) -> cdk.App:
    """An App carrying cdk.json's context (feature flags, stages) with `stage` selected, as tests use it."""
    context = {**cdk_json_context(), **(extra_context or {}), "stage": stage}
    return cdk.App(outdir=outdir, context=context)


def main() -> None:
    """Synthesize one stage: under the CDK CLI the one named by `-c stage=...` (default: cdk.json's `stage`);
    run directly (`make synth STAGE=...`) the one named by $STAGE, into cdk.out/."""
    if "CDK_CONTEXT_JSON" in os.environ or "CDK_OUTDIR" in os.environ:
        app = cdk.App()
    else:
        app = build_app(os.environ.get("STAGE") or cdk_json_context()["stage"], outdir="cdk.out")
    config = load_stage_config(app.node.try_get_context("stage"), app.node.try_get_context("stages"))
    build_stack(app, config, require_built_layers=_truthy(app.node.try_get_context("require_built_layers")))
    app.synth()


if __name__ == "__main__":
    main()
