"""A trigram index for the file browser's "path contains" filter (issue 20), PostgreSQL
only: ``path ILIKE '%text%'`` read every row of a run without it (1.3 s a page with
1,000,000 files in bench/files.py). It needs the ``pg_trgm`` extension (PostgreSQL's
contrib); where that cannot be created the upgrade goes on without the index and says so:
the filter still works, only slowly. SQLite is unchanged.

The extension is created in ``public`` (not in the first schema of ``search_path``, which
may be a schema that is dropped later, taking the index with it) and its operator class
is named with the schema it lives in.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

INDEX = "ix_file_index_path_trgm"


def _trgm_schema(conn: sa.engine.Connection) -> str | None:
    """The schema pg_trgm is installed in, creating it if it can be; None if it cannot."""
    found = conn.execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar()
    if found is not None:
        return str(found)
    try:
        with conn.begin_nested():  # a failure must not abort the upgrade's transaction
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        print(f"notice: pg_trgm is not available ({reason}); \"path contains\" in the file "
              "table works without its index, slowly on large items; with PostgreSQL's contrib "
              f"installed: CREATE EXTENSION pg_trgm; CREATE INDEX {INDEX} ON file_index "
              "USING gin (path gin_trgm_ops)", file=sys.stderr)
        return None
    return "public"


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    schema = _trgm_schema(conn)
    if schema is None:
        return
    opclass = f'"{schema}".gin_trgm_ops'
    op.execute(f"CREATE INDEX {INDEX} ON file_index USING gin (path {opclass})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
