"""Evidence items are the media: the container files that carry it, each with its hashes.

``evidence_containers`` holds every stored container file of an item (E01 segments, split
raw segments, VMDK extents, the one raw file) with its own MD5/SHA-1/SHA-256 and store
location; ``evidence_items.container_format`` says what carried the media and
``media_check`` what the intake read found (E01 stored hashes: match, mismatch or none;
unreadable ranges). Items taken in before this revision have no rows here: lccu reads
their one stored file (whose hashes were the item's) as their only container, and leaves
the format unknown.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence_items") as batch:
        batch.add_column(sa.Column("container_format", sa.String(30), nullable=True))
        batch.add_column(sa.Column("media_check", sa.Text, nullable=True))
    op.create_table(
        "evidence_containers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "evidence_id",
            sa.String(36),
            sa.ForeignKey(
                "evidence_items.id", name="fk_evidence_containers_evidence_id_evidence_items"
            ),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("sha1", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_uri", sa.Text, nullable=False),
        sa.Column("storage_bucket", sa.String(100), nullable=True),
        sa.Column("storage_key", sa.Text, nullable=False),
        sa.Column("storage_version_id", sa.String(200), nullable=True),
        sa.Column("lock_mode", sa.String(20), nullable=True),
        sa.Column("retain_until", sa.String(40), nullable=True),
        sa.Column("legal_hold", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_containers"),
        sa.UniqueConstraint("evidence_id", "seq", name="uq_evidence_containers_evidence_id"),
    )
    op.create_index("ix_evidence_containers_evidence_id", "evidence_containers", ["evidence_id"])


def downgrade() -> None:
    op.drop_index("ix_evidence_containers_evidence_id", table_name="evidence_containers")
    op.drop_table("evidence_containers")
    with op.batch_alter_table("evidence_items") as batch:
        batch.drop_column("media_check")
        batch.drop_column("container_format")
