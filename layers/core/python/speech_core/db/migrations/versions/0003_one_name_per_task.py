"""one name per task: translation and language_id

Scopes and task names were `nmt` and `language_detection`; the platform now says `translation` and
`language_id` everywhere (scopes, metering, registry). Stored key scopes and the task columns of the request
log, daily usage and results are rewritten; daily usage rows are merged, not renamed, so a row already
written under the new name by new code during a deploy adds up instead of colliding.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: old name -> new name, for scopes and task columns alike
RENAMED = {"nmt": "translation", "language_detection": "language_id"}


def _rename(old: str, new: str) -> None:
    names = {"old": old, "new": new}
    # scopes stay a sorted set, as the key service writes them
    op.execute(
        sa.text(
            "UPDATE api_keys SET scopes = ARRAY("
            "SELECT DISTINCT s FROM unnest(array_replace(scopes, CAST(:old AS varchar), CAST(:new AS varchar))) AS s "
            "ORDER BY s)::varchar(32)[] WHERE CAST(:old AS varchar) = ANY(scopes)"
        ).bindparams(**names)
    )
    for table in ("request_log", "results"):
        op.execute(sa.text(f"UPDATE {table} SET task = :new WHERE task = :old").bindparams(**names))
    op.execute(
        sa.text(
            "INSERT INTO usage_daily (api_key_id, day, task, tenant_id, requests, errors, audio_seconds, characters) "
            "SELECT api_key_id, day, :new, tenant_id, requests, errors, audio_seconds, characters "
            "FROM usage_daily WHERE task = :old "
            "ON CONFLICT (api_key_id, day, task) DO UPDATE SET "
            "requests = usage_daily.requests + EXCLUDED.requests, errors = usage_daily.errors + EXCLUDED.errors, "
            "audio_seconds = usage_daily.audio_seconds + EXCLUDED.audio_seconds, "
            "characters = usage_daily.characters + EXCLUDED.characters"
        ).bindparams(**names)
    )
    op.execute(sa.text("DELETE FROM usage_daily WHERE task = :old").bindparams(old=old))


def upgrade() -> None:
    for old, new in RENAMED.items():
        _rename(old, new)


def downgrade() -> None:
    for old, new in RENAMED.items():
        _rename(new, old)
