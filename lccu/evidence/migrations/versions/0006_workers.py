"""Worker registry: each `lccu worker` process, its host, and when it last said it was alive
(``lccu status --workers``, the web's workers page, metrics).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(200), primary_key=True),  # host:pid
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("threads", sa.Integer, nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("heartbeat_at", sa.String(40), nullable=False),
        sa.Column("heartbeat_unix", sa.BigInteger, nullable=False, index=True),
        sa.Column("metrics_url", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("workers")
