"""The file index of finished runs (issue 20): the file browser and ``lab.files`` page and
filter over indexed rows instead of re-reading a report's JSON per request; and the case's
investigative question (``cases.question``), shown in the court report and the CASE/UCO
export.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "file_index_runs",
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("evidence_id", sa.String(36), sa.ForeignKey("evidence_items.id"),
                  nullable=False),
        sa.Column("files", sa.Integer, nullable=False),
        sa.Column("volumes", sa.Text, nullable=False),
        sa.Column("indexed_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_file_index_runs"),
    )
    op.create_index("ix_file_index_runs_evidence_id", "file_index_runs", ["evidence_id"])
    op.create_table(
        "file_index",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("evidence_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("volume", sa.Integer, nullable=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("ext", sa.String(32), nullable=True),
        sa.Column("inode", sa.BigInteger, nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("allocated", sa.Boolean, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mtime", sa.String(40), nullable=True),
        sa.Column("md5", sa.String(32), nullable=True),
        sa.Column("sha1", sa.String(40), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("mime", sa.String(200), nullable=True),
        sa.Column("hashset", sa.String(10), nullable=True),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("entry", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_file_index"),
    )
    op.create_index("ix_file_index_run_id", "file_index", ["run_id"])
    for column in ("path", "sha256", "md5", "mime", "allocated", "mtime", "size"):
        op.create_index(f"ix_file_index_run_{column}", "file_index", ["run_id", column])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("question", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("question")
    op.drop_table("file_index")
    op.drop_index("ix_file_index_runs_evidence_id", table_name="file_index_runs")
    op.drop_table("file_index_runs")
