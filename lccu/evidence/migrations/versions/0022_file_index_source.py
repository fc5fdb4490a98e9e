"""An index for the file browser's origin filter (issue 20: "carved", "member"): without
it a run with no carved files read all of its rows to say so (435 ms a page with
1,000,000 files in bench/files.py).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_file_index_run_source", "file_index", ["run_id", "source"])


def downgrade() -> None:
    op.drop_index("ix_file_index_run_source", table_name="file_index")
