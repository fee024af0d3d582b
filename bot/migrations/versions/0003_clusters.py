"""clusters: stories.cluster_id and update deliveries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("cluster_id", BigId, nullable=True))
        batch.create_index("ix_stories_cluster_id", ["cluster_id"], unique=False)
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="post")
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("stories") as batch:
        batch.drop_index("ix_stories_cluster_id")
        batch.drop_column("cluster_id")
