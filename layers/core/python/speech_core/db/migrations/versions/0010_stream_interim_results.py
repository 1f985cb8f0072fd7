"""interim_results on websocket_connections: whether a recognition stream is sent `partial` messages

`start` {interimResults: false} answers each applied audio frame with an `ack` instead of a `partial`
(docs/streaming.md); finals, translations and `end` are unchanged.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "websocket_connections", sa.Column("interim_results", sa.Boolean(), server_default="true", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("websocket_connections", "interim_results")
