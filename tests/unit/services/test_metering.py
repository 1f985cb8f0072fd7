"""Metering records what the client got: a call that ends after API Gateway gave up is the gateway's 504."""

from __future__ import annotations

import time
import uuid

from speech_core.db.records import NewResult
from speech_core.keys import KeyLimits
from speech_core.keys.caller import Caller
from speech_core.keys.scopes import Scope
from speech_core.services.metering import metered_call
from tests.unit.api.fakes import FakeRateLimiter, FakeRequestLog

CALLER = Caller(
    tenant_id=uuid.uuid4(),
    tenant_name="t",
    key_id=uuid.uuid4(),
    key_prefix="spk_test",
    scopes=frozenset({"translation"}),
    limits=KeyLimits(),
)


def _call(answer_by: float | None) -> FakeRequestLog:
    log = FakeRequestLog()
    with metered_call(
        CALLER, Scope.TRANSLATION, "req-1", rate_limiter=FakeRateLimiter(), request_log=log, answer_by=answer_by
    ) as record:
        record.characters = 17
        record.results.append(NewResult(request_id="req-1", tenant_id=CALLER.tenant_id, task="translation"))
    return log


def test_a_call_answered_in_time_is_a_success_with_its_results() -> None:
    log = _call(answer_by=time.time() + 29)
    assert [(e.status, e.error_code, e.characters) for e in log.entries] == [(200, None, 17)]
    assert len(log.results) == 1


def test_a_call_that_outlived_the_gateway_is_recorded_as_its_504_without_results() -> None:
    # Given the gateway's 29 s passed while the function worked, When it finishes, Then the log says what the
    # client got (504 model.timeout, an error in usage) and keeps no results it never delivered
    log = _call(answer_by=time.time() - 1)
    assert [(e.status, e.error_code, e.characters) for e in log.entries] == [(504, "model.timeout", 0)]
    assert log.results == []


def test_without_a_request_time_nothing_changes() -> None:
    assert [e.status for e in _call(answer_by=None).entries] == [200]
