"""tenant settings: default language for S3-drop jobs, allow-list of hosts for https audioUri

`default_language`: the language of an S3-drop job whose object has neither a language metadata entry nor a
sidecar JSON (docs/jobs.md says which wins); NULL means the platform default (BATCH_DEFAULT_LANGUAGE).
`audio_url_allowed_hosts`: host names a tenant's requests may fetch `audio[].audioUri` https links from
(docs/api.md, ULCA compatibility); empty means any public host that passes the SSRF checks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "tenants"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("default_language", sa.String(length=16), nullable=True))
    op.add_column(
        TABLE,
        sa.Column(
            "audio_url_allowed_hosts",
            postgresql.ARRAY(sa.String(length=253)),
            server_default="{}",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column(TABLE, "audio_url_allowed_hosts")
    op.drop_column(TABLE, "default_language")
