"""stories.pending_route: alerts stored but not yet queued survive a crash

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.add_column(
            sa.Column("pending_route", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index("ix_stories_pending_route", ["pending_route"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.drop_index("ix_stories_pending_route")
        batch.drop_column("pending_route")
