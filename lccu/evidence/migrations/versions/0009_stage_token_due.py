"""Stage rows: when a queued stage is due another work token (``token_due``, unix seconds).

The janitor decides from this column, not from Dramatiq's Redis keys, whether a queued stage
still waits for a token: a token held by a dead worker never blocks a new one. Rows from
before this revision have none and count as due.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stage_runs") as batch:
        batch.add_column(sa.Column("token_due", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stage_runs") as batch:
        batch.drop_column("token_due")
