"""Fixtures for integration tests: a real PostgreSQL.

With DATABASE_URL set, tests use that server (each session in a database of its own, dropped at the end);
otherwise one embedded PostgreSQL is started for the session on a free port and stopped by PID at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from local_cloud.embedded_postgres import LocalPostgres
from speech_core.db.engine import normalise_url


class PostgresServer:
    """A server tests may create throw-away databases on."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = normalise_url(admin_url)

    def _admin_conninfo(self) -> str:
        return make_url(self.admin_url).set(drivername="postgresql").render_as_string(hide_password=False)

    def create_database(self, prefix: str = "test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self._admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with psycopg.connect(self._admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    external = os.environ.get("DATABASE_URL")
    if external:
        yield PostgresServer(external)
        return
    # Not under pytest's tmp_path: pytest resets `pytest-of-<user>` to mode 0700 (and prunes old runs) when
    # any other pytest session starts, which would lock the unprivileged postgres user out mid-run.
    data_dir = Path(tempfile.mkdtemp(prefix="speech-test-postgres-"))
    server = LocalPostgres(data_dir, durable=False).start()
    try:
        yield PostgresServer(server.url)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A migrated database shared by the session (tests keep apart by creating their own tenants)."""
    from speech_core.db.migrations import upgrade_to_head

    url = postgres_server.create_database("speech")
    upgrade_to_head(url)
    yield url
    from speech_core.db.engine import get_engine

    get_engine(url).dispose()
    postgres_server.drop_database(url)
