"""Alembic environment: runs on the connection lccu hands it (see lccu.evidence.db)."""

from __future__ import annotations

from alembic import context

# Every module that adds tables to Base.metadata, so autogenerate sees the whole schema.
import lccu.evidence.file_index  # file index: 0015
import lccu.evidence.marks  # notable marks: 0017
import lccu.evidence.runstate  # processing runs: migration 0002; workers: 0006
import lccu.evidence.tags  # file tags: 0013
import lccu.evidence.xzone  # cross-zone hit/no-hit: 0016
import lccu.web.models  # noqa: F401  (web credentials, sessions, API tokens: 0003)
from lccu.evidence.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic` command line use: build an engine from the URL
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
