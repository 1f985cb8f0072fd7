"""claimed_until on stream_finals: a pending final whose invocation died is computed by the session's next one

The frame that ends an utterance claims its final until past the stream function's timeout
(speech_core.streaming.utterance_finals.FINAL_CLAIM_S): until then only that invocation (or `stop`) computes it;
after it, any later invocation of the session does, under the row's lock, so the final reaches the client
without waiting for `stop`. Rows without a claim (made before this revision) count as expired.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stream_finals", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("stream_finals", "claimed_until")
