"""Migrations against a real PostgreSQL: up from empty, down to empty, and in step with the ORM tables."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, pool, text

from speech_core.db.migrations import alembic_config, downgrade_to_base, upgrade_to_head
from speech_core.db.tables import Base

EXPECTED_TABLES = {
    "tenants",
    "api_keys",
    "request_log",
    "usage_daily",
    "jobs",
    "results",
    "websocket_connections",
    "rate_windows",
    "job_chunks",
    "webhook_deliveries",
    "stream_finals",
}


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_from_empty_creates_every_table_at_head(postgres_server):
    # Given an empty database
    url = postgres_server.create_database("migr")
    try:
        assert _tables(url) == set()
        # When migrations run
        upgrade_to_head(url)
        # Then every table exists and the database is at the newest revision
        assert _tables(url) == EXPECTED_TABLES
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        engine = create_engine(url, poolclass=pool.NullPool)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        engine.dispose()
        # and running them again changes nothing
        upgrade_to_head(url)
        assert _tables(url) == EXPECTED_TABLES
    finally:
        postgres_server.drop_database(url)


def test_migrations_match_the_orm_tables(database_url):
    engine = create_engine(database_url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == [], f"tables.py and the migrations disagree: {diff}"


def test_downgrade_to_base_then_up_again(postgres_server):
    url = postgres_server.create_database("migr")
    try:
        upgrade_to_head(url)
        downgrade_to_base(url)
        assert _tables(url) == set()
        upgrade_to_head(url)
        assert _tables(url) == EXPECTED_TABLES
    finally:
        postgres_server.drop_database(url)


def test_concurrent_upgrades_are_serialised(postgres_server):
    # Given two deploy steps (separate processes) migrating the same empty database at once
    url = postgres_server.create_database("migr")
    try:
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "speech_core.db.migrations", url],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
        # Then both succeed (the advisory lock serialises them) and the schema is complete
        assert [run.returncode for run in runs] == [0, 0], outputs
        assert _tables(url) == EXPECTED_TABLES
    finally:
        postgres_server.drop_database(url)


def test_deploy_time_migration_function_brings_an_empty_database_to_head(postgres_server, monkeypatch):
    from functions.admin.handle_migrate_database import handler
    from speech_core.settings import read_settings

    # Given an empty database the function's environment points at (as the CDK trigger's Lambda would see)
    url = postgres_server.create_database("migr")
    monkeypatch.setenv("DATABASE_URL", url)
    read_settings.cache_clear()
    try:
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()

        class Context:
            function_name, memory_limit_in_mb, aws_request_id = "migrate", 512, "req"
            invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:migrate"

        # When the trigger invokes it twice (a redeploy)
        first = handler({}, Context())
        second = handler({}, Context())
        # Then the first run migrates to head and the second finds nothing to do
        assert first == {"migrated": True, "fromRevision": None, "revision": head}
        assert second == {"migrated": False, "fromRevision": head, "revision": head}
        assert _tables(url) == EXPECTED_TABLES
    finally:
        read_settings.cache_clear()
        postgres_server.drop_database(url)
