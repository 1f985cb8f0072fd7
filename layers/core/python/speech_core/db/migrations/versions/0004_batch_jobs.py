"""batch jobs: progress and attempt columns on jobs, job_chunks, webhook_deliveries

The batch path's tables (docs/jobs-contract.md, "Database"). Existing job rows keep working: they become
`api` jobs on their first attempt with nothing done yet.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("source", sa.String(length=8), server_default="api", nullable=False))
    op.add_column("jobs", sa.Column("audio_seconds_total", sa.Float(), nullable=True))
    op.add_column("jobs", sa.Column("audio_seconds_done", sa.Float(), server_default="0", nullable=False))
    op.add_column("jobs", sa.Column("chunks_total", sa.Integer(), nullable=True))
    op.add_column("jobs", sa.Column("chunks_done", sa.Integer(), server_default="0", nullable=False))
    op.add_column("jobs", sa.Column("billed_audio_seconds", sa.Float(), nullable=True))
    op.add_column("jobs", sa.Column("webhook_url", sa.String(length=2048), nullable=True))
    op.add_column("jobs", sa.Column("attempt", sa.Integer(), server_default="1", nullable=False))
    op.create_check_constraint(op.f("ck_jobs_source_known"), "jobs", "source IN ('api', 's3')")
    op.create_check_constraint(op.f("ck_jobs_attempt_positive"), "jobs", "attempt >= 1")
    op.create_index("ix_jobs_tenant_state_created", "jobs", ["tenant_id", "state", "created_at"])
    op.create_table(
        "job_chunks",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("start_sample", sa.BigInteger(), nullable=False),
        sa.Column("num_samples", sa.BigInteger(), nullable=False),
        sa.Column("object_key", sa.String(length=1024), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("words", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("model_version", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'done', 'failed')", name=op.f("ck_job_chunks_state_known")),
        sa.CheckConstraint("start_sample >= 0 AND num_samples > 0", name=op.f("ck_job_chunks_samples_range")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_chunks_job_id_jobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "index", name=op.f("pk_job_chunks")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_webhook_deliveries_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", "attempt", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(op.f("ix_webhook_deliveries_job_id"), "webhook_deliveries", ["job_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_deliveries_job_id"), table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("job_chunks")
    op.drop_index("ix_jobs_tenant_state_created", table_name="jobs")
    op.drop_constraint(op.f("ck_jobs_attempt_positive"), "jobs", type_="check")
    op.drop_constraint(op.f("ck_jobs_source_known"), "jobs", type_="check")
    for column in (
        "attempt",
        "webhook_url",
        "billed_audio_seconds",
        "chunks_done",
        "chunks_total",
        "audio_seconds_done",
        "audio_seconds_total",
        "source",
    ):
        op.drop_column("jobs", column)
