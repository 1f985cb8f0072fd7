"""The fixture stack, deployed into a real LocalStack and played by the local runtime (one per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_cloud.cloudformation_deployer import aws_client, deploy_stack, find_stack
from local_cloud.lambda_workers import INIT_TIMEOUT_ENV
from local_cloud.localstack_process import LOCALSTACK_PYTHON, LocalStack
from local_cloud.runtime_launcher import RuntimeProcess, start_runtime
from tests.integration.local_cloud import fixture_app

WS_IDLE_TIMEOUT_S = 3.0


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    if not LOCALSTACK_PYTHON.exists():
        pytest.fail("LocalStack env missing: run `make setup-localstack`")
    instance = LocalStack(tmp_path_factory.mktemp("localstack"))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def local_cloud(localstack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeProcess]:
    assembly = fixture_app.build(tmp_path_factory.mktemp("cdk.out"))
    deployed = deploy_stack(find_stack(assembly, fixture_app.STACK_NAME), localstack.endpoint)
    with pytest.MonkeyPatch.context() as patch:  # the runtime process inherits it: a short init limit
        patch.setenv(INIT_TIMEOUT_ENV, str(fixture_app.INIT_LIMIT_S))
        runtime = start_runtime(deployed, tmp_path_factory.mktemp("runtime"), ws_idle_timeout_s=WS_IDLE_TIMEOUT_S)
    yield runtime
    runtime.stop()
    print(Path(runtime.log_path).read_text()[-3000:])


@pytest.fixture(scope="session")
def outputs(local_cloud: RuntimeProcess) -> dict[str, str]:
    return local_cloud.outputs


@pytest.fixture(scope="session")
def sqs(localstack: LocalStack):  # noqa: ANN201 - a boto3 client
    return aws_client("sqs", localstack.endpoint)
