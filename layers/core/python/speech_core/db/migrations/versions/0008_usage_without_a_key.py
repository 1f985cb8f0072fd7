"""usage_daily counts usage made without an API key (S3-drop jobs)

Until now a usage row was keyed by (api_key_id, day, task), so a job with no key (an S3-drop job) was written
to the request log but to no daily usage row. The row is now keyed by (tenant_id, api_key_id, day, task) with
`api_key_id` NULL for usage no key made; the unique index treats NULLs as equal (NULLS NOT DISTINCT,
PostgreSQL 15+), so the per-request upsert finds a tenant's one keyless row per day and task. A surrogate
`id` is the primary key (a primary key column cannot be NULL).

Downgrade deletes the keyless rows (the old key has no place for them); their request-log rows stay.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 02:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLE = "usage_daily"
UNIQUE = "uq_usage_daily_tenant_key_day_task"
COLUMNS = ["tenant_id", "api_key_id", "day", "task"]


def upgrade() -> None:
    op.drop_constraint("pk_usage_daily", TABLE, type_="primary")
    op.add_column(TABLE, sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False))
    op.create_primary_key("pk_usage_daily", TABLE, ["id"])
    op.alter_column(TABLE, "api_key_id", existing_type=sa.UUID(), nullable=True)
    op.create_index(UNIQUE, TABLE, COLUMNS, unique=True, postgresql_nulls_not_distinct=True)


def downgrade() -> None:
    op.drop_index(UNIQUE, table_name=TABLE)
    op.execute(sa.text(f"DELETE FROM {TABLE} WHERE api_key_id IS NULL"))
    op.alter_column(TABLE, "api_key_id", existing_type=sa.UUID(), nullable=False)
    op.drop_constraint("pk_usage_daily", TABLE, type_="primary")
    op.drop_column(TABLE, "id")
    op.create_primary_key("pk_usage_daily", TABLE, ["api_key_id", "day", "task"])
