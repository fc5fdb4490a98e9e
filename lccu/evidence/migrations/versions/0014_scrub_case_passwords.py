"""Processing runs: case password lists out of the run options.

Runs submitted before this revision kept the case password list for encrypted archives in
plain text in ``processing_runs.options``; now it is sealed in the derived store
(:mod:`lccu.archive.sealed`). This removes every such list. A run that had one keeps a
marker in ``passwords_digest`` (so no result of a run without passwords is reused for it);
an unfinished one expands without passwords: submit it again with ``--passwords``. On
SQLite the freed bytes are overwritten (``secure_delete``). Nothing to undo.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

REMOVED = "removed by migration 0014"


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
    rows = conn.execute(sa.text("SELECT id, options FROM processing_runs "
                                "WHERE options LIKE :p"), {"p": '%"passwords"%'}).all()
    for run_id, options in rows:
        data = json.loads(options)
        if "passwords" not in data:
            continue
        if data.pop("passwords"):
            data["passwords_digest"] = REMOVED
        conn.execute(sa.text("UPDATE processing_runs SET options = :o WHERE id = :i"),
                     {"o": json.dumps(data, sort_keys=True), "i": run_id})


def downgrade() -> None:
    """The removed lists are gone for good."""
