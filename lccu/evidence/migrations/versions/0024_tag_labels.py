"""Tag labels defined per case or for the whole unit (issue 20: "labels defined per case
or unit, e.g. relevant / to check / privileged"): once a case, or the unit, has labels, a
tag in that case takes one of them; a case with none anywhere takes any label, as before.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tag_labels",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("label", sa.String(60), nullable=False),
        sa.Column("defined_by", sa.String(64), nullable=False),
        sa.Column("defined_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tag_labels"),
    )
    op.create_index("ix_tag_labels_case_id", "tag_labels", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_tag_labels_case_id", table_name="tag_labels")
    op.drop_table("tag_labels")
