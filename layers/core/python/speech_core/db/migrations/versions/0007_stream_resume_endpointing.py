"""stream resume, endpointing, live translation, latency and rate state on websocket_connections

Resuming a stream after a dropped connection (docs/streaming.md): a new connection takes the session over
(`resumed_from`), keeps the first connection's Triton sequence (`stream_sequence_id`) and records only the audio
it applied itself (`recorded_audio_seconds` were recorded by the connections before it). Endpointing by
silence (`endpointing_ms`, `trailing_silence_s`, `utterance_has_speech`), `translateTo`, the session's
partial-latency histogram, the last audio's time (idle limit) and the frames-per-second window.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "websocket_connections"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("resumed_from", sa.String(length=128), nullable=True))
    op.add_column(TABLE, sa.Column("stream_sequence_id", sa.BigInteger(), nullable=True))
    op.add_column(TABLE, sa.Column("recorded_audio_seconds", sa.Float(), server_default="0", nullable=False))
    op.add_column(TABLE, sa.Column("endpointing_ms", sa.Integer(), nullable=True))
    op.add_column(TABLE, sa.Column("trailing_silence_s", sa.Float(), server_default="0", nullable=False))
    op.add_column(TABLE, sa.Column("utterance_has_speech", sa.Boolean(), server_default="false", nullable=False))
    op.add_column(TABLE, sa.Column("translate_to", sa.String(length=16), nullable=True))
    op.add_column(
        TABLE,
        sa.Column("partial_latency_ms", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column(TABLE, sa.Column("last_audio_at", sa.Float(), nullable=True))
    op.add_column(TABLE, sa.Column("rate_window_start", sa.Float(), server_default="0", nullable=False))
    op.add_column(TABLE, sa.Column("rate_window_frames", sa.Integer(), server_default="0", nullable=False))
    op.create_index("ix_websocket_connections_session_id", TABLE, ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_websocket_connections_session_id", table_name=TABLE)
    for column in (
        "rate_window_frames",
        "rate_window_start",
        "last_audio_at",
        "partial_latency_ms",
        "translate_to",
        "utterance_has_speech",
        "trailing_silence_s",
        "endpointing_ms",
        "recorded_audio_seconds",
        "stream_sequence_id",
        "resumed_from",
    ):
        op.drop_column(TABLE, column)
