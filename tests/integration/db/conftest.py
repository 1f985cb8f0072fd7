"""Fixtures of the stream store's integration tests on a real PostgreSQL (`database_url`: tests/integration)."""

from __future__ import annotations

import uuid

import pytest

from speech_core.db.engine import get_sessions
from speech_core.db.repositories import get_repositories
from speech_core.db.repositories.streams import SqlStreamStore


@pytest.fixture
def store(database_url: str) -> SqlStreamStore:
    return SqlStreamStore(get_sessions(database_url))


@pytest.fixture
def tenant_id(database_url: str) -> uuid.UUID:
    """A tenant of its own per test."""
    return get_repositories(database_url).tenants.create(f"t-{uuid.uuid4().hex[:8]}", "Tenant").id
