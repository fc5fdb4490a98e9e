"""Unit-wide hash sets (known and notable): one row per imported version; the hashes of
each version go into a table of their own (``hashset_rows_<id>``) made by the importer.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hashset_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("entries", sa.BigInteger, nullable=False),
        sa.Column("hashes", sa.BigInteger, nullable=False),
        sa.Column("malformed", sa.BigInteger, nullable=False),
        sa.Column("malformed_examples", sa.Text, nullable=False),
        sa.Column("hash_types", sa.String(40), nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("imported_by", sa.String(64), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("finished_at", sa.String(40), nullable=True),
        sa.UniqueConstraint("name", "version", name="uq_hashset_versions_name"),
    )


def downgrade() -> None:
    bind = op.get_bind()
    for (set_id,) in bind.execute(sa.text("SELECT id FROM hashset_versions")):
        op.execute(f"DROP TABLE IF EXISTS hashset_rows_{int(set_id)}")
    op.drop_table("hashset_versions")
