"""Create, verify, revoke, rotate and list API keys.

The plaintext key is returned once, by `create_key`/`rotate_key`, and never stored. `verify` is what the
Lambda authorizer calls: it answers a `VerifiedKey` (tenant, scopes, limits) or raises `AuthError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from speech_core.db.ports import ApiKeyRepository, TenantRepository
from speech_core.db.records import ApiKeyRecord, NewApiKey
from speech_core.errors import AuthError, ErrorCode, RequestError
from speech_core.keys.key_material import display_prefix, hash_key, hashes_match, new_key
from speech_core.keys.scopes import KeyLimits, Scope
from speech_core.settings import get_api_key_settings

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class ApiKeyView(BaseModel):
    """A key as callers may see it: no hash, no secret."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    limits: KeyLimits
    expires_at: datetime | None
    revoked: bool
    last_used_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, record: ApiKeyRecord) -> ApiKeyView:
        return cls(
            id=record.id,
            tenant_id=record.tenant_id,
            name=record.name,
            prefix=record.prefix,
            scopes=list(record.scopes),
            limits=_limits_of(record),
            expires_at=record.expires_at,
            revoked=record.revoked,
            last_used_at=record.last_used_at,
            created_at=record.created_at,
        )


class CreatedKey(BaseModel):
    """The only object that ever holds a key in clear: show it to the user once, then drop it."""

    plaintext: str = Field(repr=False)
    key: ApiKeyView


class VerifiedKey(BaseModel):
    """What a valid key grants; the authorizer passes these fields on as its context."""

    model_config = ConfigDict(frozen=True)

    key_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_name: str
    prefix: str
    scopes: list[str]
    limits: KeyLimits
    expires_at: datetime | None

    def has_scope(self, scope: Scope) -> bool:
        return scope.value in self.scopes

    def require_scope(self, scope: Scope) -> None:
        if not self.has_scope(scope):
            raise AuthError(
                ErrorCode.AUTH_INSUFFICIENT_SCOPE,
                f"this API key does not have the '{scope.value}' scope",
                details={"required": scope.value, "granted": self.scopes},
            )


def _limits_of(record: ApiKeyRecord) -> KeyLimits:
    return KeyLimits(per_minute=record.rate_per_minute, per_hour=record.rate_per_hour, per_day=record.daily_quota)


class ApiKeyService:
    def __init__(
        self,
        keys: ApiKeyRepository,
        tenants: TenantRepository,
        pepper: bytes,
        *,
        clock: Clock = utc_now,
        last_used_resolution: timedelta = timedelta(seconds=60),
    ) -> None:
        self._keys = keys
        self._tenants = tenants
        self._pepper = pepper
        self._clock = clock
        self._last_used_resolution = last_used_resolution
        # hashed once so that an unknown prefix costs the same work as a known one
        self._decoy_hash = hash_key("spk_decoy", pepper)

    def create_key(
        self,
        tenant_id: uuid.UUID,
        name: str,
        scopes: Iterable[Scope],
        *,
        limits: KeyLimits | None = None,
        expires_at: datetime | None = None,
        rotated_from_id: uuid.UUID | None = None,
    ) -> CreatedKey:
        if self._tenants.get(tenant_id) is None:
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, f"tenant {tenant_id} does not exist")
        scope_names = sorted({Scope(scope).value for scope in scopes})
        if not scope_names:
            raise RequestError(ErrorCode.REQUEST_INVALID, "a key needs at least one scope")
        if expires_at is not None and expires_at <= self._clock():
            raise RequestError(ErrorCode.REQUEST_INVALID, "expiry must be in the future")
        limits = limits or KeyLimits()
        plaintext, prefix = new_key()
        record = self._keys.add(
            NewApiKey(
                tenant_id=tenant_id,
                name=name,
                prefix=prefix,
                key_hash=hash_key(plaintext, self._pepper),
                scopes=scope_names,
                rate_per_minute=limits.per_minute,
                rate_per_hour=limits.per_hour,
                daily_quota=limits.per_day,
                expires_at=expires_at,
                rotated_from_id=rotated_from_id,
            )
        )
        return CreatedKey(plaintext=plaintext, key=ApiKeyView.of(record))

    def verify(self, plaintext: str) -> VerifiedKey:
        """The grant of a valid key; AuthError with auth.invalid_key / revoked_key / expired_key otherwise."""
        if not plaintext:
            raise AuthError(ErrorCode.AUTH_MISSING_KEY, "no API key was given")
        prefix = display_prefix(plaintext)
        # the key and its tenant in one read: revocation and suspension are seen on the very next request
        found = self._keys.find_by_prefix_with_tenant(prefix) if prefix else None
        candidate = hash_key(plaintext, self._pepper)
        if found is None:
            hashes_match(self._decoy_hash, candidate)
            raise AuthError(ErrorCode.AUTH_INVALID_KEY, "the API key is not valid")
        record, tenant = found
        if not hashes_match(record.key_hash, candidate):
            raise AuthError(ErrorCode.AUTH_INVALID_KEY, "the API key is not valid")
        if record.revoked:
            raise AuthError(
                ErrorCode.AUTH_REVOKED_KEY, "the API key has been revoked", details={"keyPrefix": record.prefix}
            )
        now = self._clock()
        if record.expires_at is not None and record.expires_at <= now:
            raise AuthError(
                ErrorCode.AUTH_EXPIRED_KEY,
                "the API key has expired",
                details={"keyPrefix": record.prefix, "expiredAt": record.expires_at.isoformat()},
            )
        if not tenant.active:
            raise AuthError(
                ErrorCode.AUTH_REVOKED_KEY, "the API key's tenant is suspended", details={"keyPrefix": record.prefix}
            )
        # one write a minute at most per key, not one per request
        if record.last_used_at is None or now - record.last_used_at >= self._last_used_resolution:
            self._keys.touch_last_used(record.id, now)
        return VerifiedKey(
            key_id=record.id,
            tenant_id=record.tenant_id,
            tenant_name=tenant.name,
            prefix=record.prefix,
            scopes=list(record.scopes),
            limits=_limits_of(record),
            expires_at=record.expires_at,
        )

    def revoke_key(self, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKeyView:
        record = self._require(tenant_id, key_id)
        if not record.revoked:
            self._keys.revoke(tenant_id, key_id, self._clock())
        return ApiKeyView.of(self._require(tenant_id, key_id))

    def rotate_key(self, tenant_id: uuid.UUID, key_id: uuid.UUID, *, grace: timedelta = timedelta(0)) -> CreatedKey:
        """A new key with the same name, scopes and limits. The old one is revoked now, or, with a grace
        period, expires then, so clients can switch without an outage."""
        old = self._require(tenant_id, key_id)
        if old.revoked:
            raise AuthError(ErrorCode.AUTH_REVOKED_KEY, "a revoked key cannot be rotated")
        created = self.create_key(
            tenant_id,
            old.name,
            [Scope(s) for s in old.scopes],
            limits=_limits_of(old),
            expires_at=old.expires_at,
            rotated_from_id=old.id,
        )
        if grace > timedelta(0):
            self._keys.set_expiry(tenant_id, key_id, self._clock() + grace)
        else:
            self._keys.revoke(tenant_id, key_id, self._clock())
        return created

    def list_keys(self, tenant_id: uuid.UUID) -> list[ApiKeyView]:
        return [ApiKeyView.of(record) for record in self._keys.list_for_tenant(tenant_id)]

    def _require(self, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKeyRecord:
        record = self._keys.get(tenant_id, key_id)
        if record is None:
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, f"API key {key_id} does not exist")
        return record


@lru_cache(maxsize=4)
def get_api_key_service(database_url: str | None = None) -> ApiKeyService:
    """The service over the configured database (DATABASE_URL / DATABASE_SECRET_ARN), cached per process."""
    # cold start: SQLAlchemy loads on the first verification, keeping the authorizer's imports under 150 ms
    from speech_core.db.engine import default_database_url
    from speech_core.db.repositories import get_repositories

    settings = get_api_key_settings()
    repositories = get_repositories(database_url or default_database_url())
    return ApiKeyService(
        repositories.api_keys,
        repositories.tenants,
        settings.api_key_pepper.get_secret_value().encode(),
        last_used_resolution=timedelta(seconds=settings.api_key_last_used_resolution_s),
    )
