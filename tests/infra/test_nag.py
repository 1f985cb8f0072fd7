"""cdk-nag is really wired in: a non-compliant resource fails synthesis, and acknowledgments need reasons.

That the four stages synthesize at all (conftest) is the proof they have no unacknowledged finding.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.infra


def test_an_unacknowledged_finding_fails_synthesis(tmp_path) -> None:  # noqa: ANN001
    import aws_cdk as cdk
    from aws_cdk import aws_sqs as sqs

    from infra_cdk.app import add_nag_checks

    # Given an app with the project's nag checks and a queue that has no DLQ and allows plain HTTP
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "nag-probe")
    sqs.Queue(stack, "Unsafe")
    add_nag_checks(app)
    # When it synthesizes, Then cdk-nag stops it and names the rules
    with pytest.raises(RuntimeError, match="ValidationFailed") as failure:
        app.synth()
    report = (tmp_path / "validation-report.json").read_text()
    assert "AwsSolutions-SQS3" in report and "AwsSolutions-SQS4" in report
    del failure


def test_acknowledging_without_a_reason_is_refused() -> None:
    import aws_cdk as cdk

    from infra_cdk.nag_acknowledgments import acknowledge

    stack = cdk.Stack(cdk.App(), "ack-probe")
    with pytest.raises(ValueError, match="real reason"):
        acknowledge(stack, "AwsSolutions-S1", "because")
