"""Files an investigator marks as notable, proposed for the unit's notable hash set and
approved or rejected by a unit admin (issue 18; see ``lccu.evidence.marks``).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notable_marks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("evidence_id", sa.String(36), sa.ForeignKey("evidence_items.id"),
                  nullable=False),
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zones.id"), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("volume", sa.Integer, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("md5", sa.String(32), nullable=True),
        sa.Column("sha1", sa.String(40), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("category", sa.String(60), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.String(64), nullable=False),
        sa.Column("proposed_at", sa.String(40), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.String(40), nullable=True),
        sa.Column("decision_reason", sa.Text, nullable=True),
        sa.Column("set_name", sa.String(100), nullable=True),
        sa.Column("set_version", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notable_marks"),
    )
    op.create_index("ix_notable_marks_case_id", "notable_marks", ["case_id"])
    op.create_index("ix_notable_marks_evidence_id", "notable_marks", ["evidence_id"])
    op.create_index("ix_notable_marks_state", "notable_marks", ["state"])


def downgrade() -> None:
    op.drop_index("ix_notable_marks_state", table_name="notable_marks")
    op.drop_index("ix_notable_marks_evidence_id", table_name="notable_marks")
    op.drop_index("ix_notable_marks_case_id", table_name="notable_marks")
    op.drop_table("notable_marks")
