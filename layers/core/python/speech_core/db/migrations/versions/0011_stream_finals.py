"""stream_finals: a streaming utterance's final, computed after its frame's answer (docs/streaming.md)

At an endpoint (or `finalize`, the utterance cap, the idle end) the frame's invocation ends the Triton
sequence without its second pass and keeps the utterance's audio here (`pending`), commits, answers the frame,
and only then transcribes the audio with the batch `asr` model: the row holds the messages (`ready`) until they
reach the client (`delivered`). `stop` sends every final not yet delivered before `end`; a resumed connection
gets those of the connection that dropped. `utterance_index` on the connection numbers the session's
utterances (every partial/final/translation carries it).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "websocket_connections", sa.Column("utterance_index", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_table(
        "stream_finals",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("utterance", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False),
        sa.Column("end_s", sa.Float(), nullable=False),
        sa.Column("ack", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("translate_to", sa.String(length=16), nullable=True),
        sa.Column("audio", sa.LargeBinary(), nullable=True),
        sa.Column("messages", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'ready', 'delivered')", name="ck_stream_finals_status"),
        sa.PrimaryKeyConstraint("session_id", "utterance"),
    )


def downgrade() -> None:
    op.drop_table("stream_finals")
    op.drop_column("websocket_connections", "utterance_index")
