"""An index for the file browser's "notable files first" order (issues 18 and 20): the
notable files of a run are counted and listed through it, so that a page of a run with
1,000,000 files still walks an index in order instead of sorting every row.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_file_index_run_hashset", "file_index", ["run_id", "hashset"])


def downgrade() -> None:
    op.drop_index("ix_file_index_run_hashset", table_name="file_index")
