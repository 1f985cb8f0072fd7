"""streaming TTS state on websocket_connections

A streaming TTS connection (docs/streaming-tts.md) keeps, in one JSON column of its row, what one message
invocation hands to the next: text received and not yet synthesized (the sentence queue and the piece after
the last sentence boundary), `text` messages held ahead of a missing seq, what `clear` dropped, the sentence a
synthesizing invocation has taken (and until when its lease runs), and the stream's counts (audio seq,
characters, audio seconds). An ASR connection leaves it empty.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "websocket_connections"


def upgrade() -> None:
    op.add_column(
        TABLE,
        sa.Column("tts_state", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )


def downgrade() -> None:
    op.drop_column(TABLE, "tts_state")
