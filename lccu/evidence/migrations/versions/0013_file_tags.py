"""Tags and notes on files: an investigator marks a file of a processed item (relevant, to
check, privileged ...) with a note, for the court report. Case data, not custody: a tag is
removed by stamping ``removed_at``/``removed_by``, never deleted, so the report and the
audit can say who tagged and untagged what.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "file_tags",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("evidence_id", sa.String(36), sa.ForeignKey("evidence_items.id"), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("volume", sa.Integer, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("inode", sa.BigInteger, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("label", sa.String(60), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("removed_by", sa.String(64), nullable=True),
        sa.Column("removed_at", sa.String(40), nullable=True),
        sa.Column("removed_reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_file_tags"),
    )
    op.create_index("ix_file_tags_case_id", "file_tags", ["case_id"])
    op.create_index("ix_file_tags_evidence_id", "file_tags", ["evidence_id"])


def downgrade() -> None:
    op.drop_index("ix_file_tags_evidence_id", table_name="file_tags")
    op.drop_index("ix_file_tags_case_id", table_name="file_tags")
    op.drop_table("file_tags")
