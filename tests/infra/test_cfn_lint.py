"""cfn-lint on every synthesized template (as a subprocess of the project's own cfn-lint)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import SynthesizedStage

pytestmark = pytest.mark.infra

# W3005 flags DependsOn entries that a Ref/GetAtt already implies; CDK emits them on purpose (ordering of
# IAM policies before their users) and they are harmless.
IGNORED_CHECKS = ["W3005"]
# The console script installed beside this interpreter (cfnlint has no __main__ module).
CFN_LINT = str(Path(sys.executable).with_name("cfn-lint"))


def test_cfn_lint_passes(stage: SynthesizedStage) -> None:
    result = subprocess.run(
        [CFN_LINT, "--ignore-checks", *IGNORED_CHECKS, "--", str(stage.template_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"cfn-lint findings for {stage.stage}:\n{result.stdout}{result.stderr}"
