"""Migration 0003 on a real PostgreSQL: stored scopes and task names move to `translation` / `language_id`."""

from __future__ import annotations

import uuid

from alembic import command
from sqlalchemy import create_engine, pool, text

from speech_core.db.migrations import alembic_config, upgrade_to_head
from speech_core.keys import Scope


def _rows(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _seed_at_0002(url: str) -> None:
    """A key with the old scope names and a day of its usage, as the code before 0003 wrote them."""
    tenant, key = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tenants (id, name, display_name) VALUES (:t, 'acme', 'Acme')"), {"t": tenant})
        conn.execute(
            text(
                "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, scopes, rate_per_minute, rate_per_hour,"
                " daily_quota) VALUES (:k, :t, 'ci', 'spk_aaaaaaaaaaaa', :h,"
                " ARRAY['asr', 'language_detection', 'nmt', 'tts'], 60, 1000, 10000)"
            ),
            {"k": key, "t": tenant, "h": b"\0" * 32},
        )
        for request_id, task in (("r1", "nmt"), ("r2", "language_detection"), ("r3", "asr")):
            conn.execute(
                text(
                    "INSERT INTO request_log (request_id, tenant_id, api_key_id, task, status)"
                    " VALUES (:r, :t, :k, :x, 200)"
                ),
                {"r": request_id, "t": tenant, "k": key, "x": task},
            )
        conn.execute(
            text("INSERT INTO results (id, tenant_id, request_id, task) VALUES (:i, :t, 'r1', 'nmt')"),
            {"i": uuid.uuid4(), "t": tenant},
        )
        # the same day under both names: a new-code write racing the deploy must add up, not collide
        for task, requests in (("nmt", 3), ("translation", 2), ("language_detection", 1)):
            conn.execute(
                text(
                    "INSERT INTO usage_daily (api_key_id, day, task, tenant_id, requests, errors, audio_seconds,"
                    " characters) VALUES (:k, DATE '2026-11-30', :x, :t, :n, 1, 0, 10)"
                ),
                {"k": key, "t": tenant, "x": task, "n": requests},
            )
    engine.dispose()


def test_old_scope_and_task_names_are_rewritten_and_restored(postgres_server):
    url = postgres_server.create_database("migr")
    try:
        # Given a database at 0002 holding the old names
        command.upgrade(alembic_config(url), "0002")
        _seed_at_0002(url)
        # When 0003 runs
        upgrade_to_head(url)
        # Then the key's scopes are the new names (sorted, as the key service writes them) and valid Scopes
        ((scopes,),) = _rows(url, "SELECT scopes FROM api_keys")
        assert scopes == ["asr", "language_id", "translation", "tts"]
        assert [Scope(name) for name in scopes]
        # and the request log, results and daily usage say translation / language_id, usage merged per day
        assert sorted(_rows(url, "SELECT request_id, task FROM request_log")) == [
            ("r1", "translation"),
            ("r2", "language_id"),
            ("r3", "asr"),
        ]
        assert _rows(url, "SELECT task FROM results") == [("translation",)]
        assert sorted(_rows(url, "SELECT task, requests, errors, characters FROM usage_daily")) == [
            ("language_id", 1, 1, 10),
            ("translation", 5, 2, 20),
        ]
        # When it is rolled back, the old names return
        command.downgrade(alembic_config(url), "0002")
        ((scopes,),) = _rows(url, "SELECT scopes FROM api_keys")
        assert scopes == ["asr", "language_detection", "nmt", "tts"]
        assert sorted(_rows(url, "SELECT task, requests FROM usage_daily")) == [("language_detection", 1), ("nmt", 5)]
    finally:
        postgres_server.drop_database(url)
