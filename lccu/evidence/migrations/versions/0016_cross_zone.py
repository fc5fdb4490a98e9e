"""Cross-zone hit/no-hit (issue 18): the zones that take part (enabled by a unit admin with
a legal basis), the SHA-256 of the notable and marked files each case offers for
correlation, and the disclosure requests between zones (see ``lccu.evidence.xzone``).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xzone_zones",
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zones.id"), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("legal_basis", sa.Text, nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("changed_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("zone_id", name="pk_xzone_zones"),
    )
    op.create_table(
        "xzone_files",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zones.id"), nullable=False),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("evidence_id", sa.String(36), sa.ForeignKey("evidence_items.id"),
                  nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_xzone_files"),
        sa.UniqueConstraint("evidence_id", "sha256", "source",
                            name="uq_xzone_files_evidence_id"),
    )
    op.create_index("ix_xzone_files_zone_id", "xzone_files", ["zone_id"])
    op.create_index("ix_xzone_files_case_id", "xzone_files", ["case_id"])
    op.create_index("ix_xzone_files_sha256", "xzone_files", ["sha256"])
    op.create_table(
        "xzone_requests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("from_zone_id", sa.Integer, sa.ForeignKey("zones.id"), nullable=False),
        sa.Column("from_case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("to_zone_id", sa.Integer, sa.ForeignKey("zones.id"), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.String(40), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("disclosed_case_id", sa.String(36), nullable=True),
        sa.Column("disclosed_case_number", sa.String(100), nullable=True),
        sa.Column("disclosed_contact", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_xzone_requests"),
    )
    op.create_index("ix_xzone_requests_from_zone_id", "xzone_requests", ["from_zone_id"])
    op.create_index("ix_xzone_requests_to_zone_id", "xzone_requests", ["to_zone_id"])


def downgrade() -> None:
    op.drop_index("ix_xzone_requests_to_zone_id", table_name="xzone_requests")
    op.drop_index("ix_xzone_requests_from_zone_id", table_name="xzone_requests")
    op.drop_table("xzone_requests")
    op.drop_index("ix_xzone_files_sha256", table_name="xzone_files")
    op.drop_index("ix_xzone_files_case_id", table_name="xzone_files")
    op.drop_index("ix_xzone_files_zone_id", table_name="xzone_files")
    op.drop_table("xzone_files")
    op.drop_table("xzone_zones")
