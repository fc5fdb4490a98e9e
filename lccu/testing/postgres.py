"""A throw-away PostgreSQL schema, for tests and benchmarks that need server mode."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def temporary_schema(base_url: str, prefix: str = "lccu_tmp") -> Iterator[str]:
    """A database URL whose ``search_path`` is a new, empty schema; dropped on exit.

    Creating the schema is the first contact with the server, so a server that cannot be
    reached fails here (callers decide whether that is a test failure or a usage error).
    """
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except BaseException:
        admin.dispose()
        raise
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
