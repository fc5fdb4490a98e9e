"""An index for the file browser's YARA filters (issue 20): files with hits (and with one
rule's hits, which are among them) are counted and listed through it; without it a
filter matching 1% of 1,000,000 files read every row of the run (0.35-0.41 s a page in
bench/files.py).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_file_index_run_hits", "file_index", ["run_id", "hits"])


def downgrade() -> None:
    op.drop_index("ix_file_index_run_hits", table_name="file_index")
