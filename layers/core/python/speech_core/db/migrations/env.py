"""Alembic environment: online migrations only, against the URL passed in `config.attributes`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from speech_core.db.tables import Base

# Any fixed number: it keeps two concurrent `upgrade` runs (two deploy steps, two test workers) from racing.
MIGRATION_LOCK_ID = 7_305_001


def run_migrations_online() -> None:
    url = context.config.attributes["database_url"]
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        connection.commit()
        try:
            context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()
    engine.dispose()


run_migrations_online()
