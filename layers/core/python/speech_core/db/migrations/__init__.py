"""Alembic migrations, shipped inside the core package so a deploy-time step (and `make up`) can apply them.

Use `upgrade_to_head(url)`; `python -m speech_core.db.migrations [URL]` does the same from a shell.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool

from speech_core.db.engine import default_database_url, normalise_url

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = normalise_url(url)
    return config


def upgrade_to_head(url: str) -> None:
    """Apply every migration not yet applied (idempotent; serialised by an advisory lock in env.py)."""
    command.upgrade(alembic_config(url), "head")


def current_revision(url: str) -> str | None:
    """The revision the database is at (None for an empty database)."""
    engine = create_engine(normalise_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def downgrade_to_base(url: str) -> None:
    command.downgrade(alembic_config(url), "base")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    url = args[0] if args else default_database_url()
    upgrade_to_head(url)
    return 0
