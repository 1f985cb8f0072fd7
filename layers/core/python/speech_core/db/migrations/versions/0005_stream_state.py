"""stream state on websocket_connections: session, resume token, next seq, pending frames, usage recorded

The WebSocket stream's exactly-once audio (docs/streaming.md): the next `seq` the stream expects, the frames
received ahead of a gap, whether an utterance is open in Triton's sequence batcher, and when the stream's
usage was recorded (once, at stop or at disconnect).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE = "websocket_connections"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("session_id", sa.UUID(), nullable=True))
    op.add_column(TABLE, sa.Column("resume_token_hash", sa.String(length=64), nullable=True))
    op.add_column(TABLE, sa.Column("next_seq", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        TABLE,
        sa.Column("pending_frames", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column(TABLE, sa.Column("utterance_open", sa.Boolean(), server_default="false", nullable=False))
    op.add_column(TABLE, sa.Column("utterance_start_s", sa.Float(), server_default="0", nullable=False))
    op.add_column(TABLE, sa.Column("last_partial", sa.Text(), server_default="", nullable=False))
    op.add_column(TABLE, sa.Column("usage_recorded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for column in (
        "usage_recorded_at",
        "last_partial",
        "utterance_start_s",
        "utterance_open",
        "pending_frames",
        "next_seq",
        "resume_token_hash",
        "session_id",
    ):
        op.drop_column(TABLE, column)
