"""The API key service against a real PostgreSQL: create, verify, revoke, rotate, expiry, isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, pool, text

from speech_core.db.engine import get_engine
from speech_core.db.repositories import get_repositories
from speech_core.errors import AuthError, ErrorCode, RequestError
from speech_core.keys import ApiKeyService, KeyLimits, Scope
from speech_core.keys.key_material import hash_key

PEPPER = b"integration-test-pepper"


class MovableClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def repos(database_url):
    return get_repositories(database_url)


@pytest.fixture
def service(repos, clock) -> ApiKeyService:
    return ApiKeyService(repos.api_keys, repos.tenants, PEPPER, clock=clock)


@pytest.fixture
def tenant(repos):
    return repos.tenants.create(f"t-{uuid.uuid4().hex[:8]}", "Test tenant")


def test_created_key_verifies_and_only_its_hash_is_stored(service, tenant, database_url):
    created = service.create_key(
        tenant.id, "ci", [Scope.ASR, Scope.TRANSLATION], limits=KeyLimits(per_minute=5, per_hour=50, per_day=500)
    )
    verified = service.verify(created.plaintext)
    assert verified.tenant_id == tenant.id and verified.tenant_name == tenant.name
    assert verified.scopes == ["asr", "translation"]
    assert verified.limits == KeyLimits(per_minute=5, per_hour=50, per_day=500)
    # the plaintext appears nowhere in the row; the hash does
    engine = create_engine(database_url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": created.key.id}).mappings().one()
    engine.dispose()
    assert all(created.plaintext not in str(value) for value in row.values())
    assert bytes(row["key_hash"]) == hash_key(created.plaintext, PEPPER)
    assert created.plaintext.startswith(row["prefix"] + "_")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # right prefix, wrong secret
        lambda key: "spk_zzzzzzzzzzzz_" + key.split("_", 2)[2],  # unknown prefix
        lambda key: "not-a-key",  # malformed
        lambda key: key + " ",  # trailing junk
    ],
)
def test_wrong_keys_are_invalid(service, tenant, mangle):
    created = service.create_key(tenant.id, "ci", [Scope.ASR])
    with pytest.raises(AuthError) as caught:
        service.verify(mangle(created.plaintext))
    assert caught.value.code is ErrorCode.AUTH_INVALID_KEY and caught.value.http_status == 401


def test_missing_key_is_its_own_code(service):
    with pytest.raises(AuthError) as caught:
        service.verify("")
    assert caught.value.code is ErrorCode.AUTH_MISSING_KEY


def test_revoked_key_is_refused(service, tenant):
    created = service.create_key(tenant.id, "ci", [Scope.ASR])
    view = service.revoke_key(tenant.id, created.key.id)
    assert view.revoked
    with pytest.raises(AuthError) as caught:
        service.verify(created.plaintext)
    assert caught.value.code is ErrorCode.AUTH_REVOKED_KEY


def test_key_expires_at_its_expiry(service, tenant, clock):
    created = service.create_key(tenant.id, "ci", [Scope.TTS], expires_at=clock.now + timedelta(hours=1))
    clock.now += timedelta(minutes=59)
    assert service.verify(created.plaintext).key_id == created.key.id
    clock.now += timedelta(minutes=1)
    with pytest.raises(AuthError) as caught:
        service.verify(created.plaintext)
    assert caught.value.code is ErrorCode.AUTH_EXPIRED_KEY


def test_expiry_in_the_past_is_refused(service, tenant, clock):
    with pytest.raises(RequestError) as caught:
        service.create_key(tenant.id, "ci", [Scope.TTS], expires_at=clock.now - timedelta(seconds=1))
    assert caught.value.code is ErrorCode.REQUEST_INVALID


def test_rotate_revokes_old_key_and_keeps_grants(service, tenant):
    old = service.create_key(tenant.id, "ci", [Scope.ASR, Scope.JOBS], limits=KeyLimits(per_minute=7))
    new = service.rotate_key(tenant.id, old.key.id)
    assert new.plaintext != old.plaintext
    assert service.verify(new.plaintext).scopes == ["asr", "jobs"]
    assert service.verify(new.plaintext).limits.per_minute == 7
    with pytest.raises(AuthError) as caught:
        service.verify(old.plaintext)
    assert caught.value.code is ErrorCode.AUTH_REVOKED_KEY


def test_rotate_with_grace_keeps_old_key_until_grace_ends(service, tenant, clock):
    old = service.create_key(tenant.id, "ci", [Scope.ASR])
    service.rotate_key(tenant.id, old.key.id, grace=timedelta(hours=2))
    clock.now += timedelta(hours=1)
    assert service.verify(old.plaintext).key_id == old.key.id
    clock.now += timedelta(hours=1, seconds=1)
    with pytest.raises(AuthError) as caught:
        service.verify(old.plaintext)
    assert caught.value.code is ErrorCode.AUTH_EXPIRED_KEY


def test_list_keys_shows_no_secret(service, tenant):
    created = service.create_key(tenant.id, "ci", [Scope.ASR])
    views = service.list_keys(tenant.id)
    assert [view.id for view in views] == [created.key.id]
    dumped = views[0].model_dump_json()
    assert created.plaintext not in dumped and "hash" not in dumped


def test_tenants_cannot_touch_each_others_keys(service, repos):
    # Given two tenants, each with a key
    alpha = repos.tenants.create(f"a-{uuid.uuid4().hex[:8]}", "Alpha")
    beta = repos.tenants.create(f"b-{uuid.uuid4().hex[:8]}", "Beta")
    alpha_key = service.create_key(alpha.id, "a", [Scope.ASR])
    service.create_key(beta.id, "b", [Scope.ASR])
    # When beta tries to list, revoke or rotate alpha's key by its id
    assert alpha_key.key.id not in {view.id for view in service.list_keys(beta.id)}
    for action in (service.revoke_key, service.rotate_key):
        with pytest.raises(RequestError) as caught:
            action(beta.id, alpha_key.key.id)
        assert caught.value.code is ErrorCode.RESOURCE_NOT_FOUND
    # Then alpha's key still works and still belongs to alpha
    assert service.verify(alpha_key.plaintext).tenant_id == alpha.id


def test_suspended_tenant_keys_are_refused(service, repos, tenant):
    created = service.create_key(tenant.id, "ci", [Scope.ASR])
    repos.tenants.set_active(tenant.id, False)
    with pytest.raises(AuthError) as caught:
        service.verify(created.plaintext)
    assert caught.value.code is ErrorCode.AUTH_REVOKED_KEY


def test_last_used_is_recorded_at_most_once_per_resolution(service, repos, tenant, clock):
    created = service.create_key(tenant.id, "ci", [Scope.ASR])
    first = clock.now
    service.verify(created.plaintext)
    assert repos.api_keys.get(tenant.id, created.key.id).last_used_at == first
    clock.now += timedelta(seconds=30)
    service.verify(created.plaintext)
    assert repos.api_keys.get(tenant.id, created.key.id).last_used_at == first
    clock.now += timedelta(seconds=31)
    service.verify(created.plaintext)
    assert repos.api_keys.get(tenant.id, created.key.id).last_used_at == clock.now


def test_verify_reads_key_and_tenant_in_one_statement_and_caches_nothing(service, repos, tenant, database_url):
    # Given a key verified once (its last-used time written: at most one write a minute, not per request)
    created = service.create_key(tenant.id, "ci", [Scope.ASR])
    service.verify(created.plaintext)
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    engine = get_engine(database_url)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        # When it is verified again, Then the key and its tenant come from one SELECT (one round trip)
        service.verify(created.plaintext)
        assert len(statements) == 1 and "api_keys" in statements[0] and "tenants" in statements[0], statements
        # and nothing is cached: a revocation or a suspension is seen on the very next verification
        repos.tenants.set_active(tenant.id, False)
        with pytest.raises(AuthError) as caught:
            service.verify(created.plaintext)
        assert caught.value.code is ErrorCode.AUTH_REVOKED_KEY
        repos.tenants.set_active(tenant.id, True)
        service.verify(created.plaintext)
        service.revoke_key(tenant.id, created.key.id)
        with pytest.raises(AuthError) as caught:
            service.verify(created.plaintext)
        assert caught.value.code is ErrorCode.AUTH_REVOKED_KEY
    finally:
        event.remove(engine, "before_cursor_execute", seen)
