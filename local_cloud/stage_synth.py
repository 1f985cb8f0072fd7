"""Synthesizes the CDK app's `local` stage into a cloud assembly (run in its own process by `up`).

python -m local_cloud.stage_synth OUTDIR [STAGE [CONSOLE_ORIGIN]]

CONSOLE_ORIGIN (the local console server's address, chosen when the cloud starts) replaces the stage's
`console.origin`: the one origin the API's CORS allows.
"""

from __future__ import annotations

import sys
from pathlib import Path


def synthesize(outdir: Path, stage: str = "local", console_origin: str | None = None) -> Path:
    """Writes the stage's templates and assets to `outdir` through the CDK app's own `build_app`."""
    from infra_cdk.app import build_app, build_stack, cdk_json_context
    from infra_cdk.config import load_stage_config

    stages = cdk_json_context()["stages"]
    if console_origin:
        stages[stage] = {**stages[stage], "console": {**stages[stage].get("console", {}), "origin": console_origin}}
    app = build_app(stage, outdir=str(outdir), extra_context={"stages": stages})
    config = load_stage_config(stage, app.node.try_get_context("stages"))
    build_stack(app, config)
    app.synth()
    return outdir


if __name__ == "__main__":
    synthesize(Path(sys.argv[1]), *(sys.argv[2:4]))
