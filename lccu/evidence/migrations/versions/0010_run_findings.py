"""Processing runs: how a finished run ended (outcome) and what its report found.

``outcome`` is the report's (``done``, ``done with warnings``, ``done with errors``);
``findings`` (JSON) holds the first read errors, errors and warnings with their totals, so
``lccu status`` and the processing page name an encrypted volume or an unreadable range
without fetching the report. Runs finished before this revision have neither.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processing_runs") as batch:
        batch.add_column(sa.Column("outcome", sa.String(30), nullable=True))
        batch.add_column(sa.Column("findings", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("processing_runs") as batch:
        batch.drop_column("findings")
        batch.drop_column("outcome")
