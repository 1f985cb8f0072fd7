"""The prefix the CDK app lets POST /v1/uploads presign under is the one the core writes and reads."""

from __future__ import annotations

import pytest

from infra_cdk import names
from speech_core.services.audio_input import UPLOADS_PREFIX

pytestmark = pytest.mark.infra


def test_upload_grant_prefix_is_the_cores_and_outside_the_s3_drop_prefix() -> None:
    # the CreateUpload role may put only under names.UPLOADS_PREFIX; the route presigns under the core's prefix
    assert names.UPLOADS_PREFIX == UPLOADS_PREFIX
    # an upload must never start an S3-drop batch job (ObjectCreated under incoming/ does)
    assert not UPLOADS_PREFIX.startswith(names.INCOMING_PREFIX)
