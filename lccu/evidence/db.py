"""Engine, sessions and schema migrations for the case database.

SQLite is the embedded default; any SQLAlchemy URL (``LCCU_DATABASE_URL``) works, PostgreSQL
being the server choice. The schema is created and upgraded with Alembic, never with
``create_all``, so an existing unit's database moves forward with the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from lccu.errors import ConfigError, InvalidInput

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    url = engine.url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser syntax
    return cfg


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _refuse_nul(_conn: object, _cursor: object, _statement: str, parameters: object,
                _context: object, _executemany: bool) -> None:
    """Refuse text holding a NUL character before it reaches the database: PostgreSQL cannot
    store it (an internal error, 500 or exit 3, for what is bad input) and SQLite would
    store it where other tools cut the text short. Same answer on both: InvalidInput."""
    rows: Any = parameters if isinstance(parameters, list | tuple) and parameters and \
        isinstance(parameters[0], dict | list | tuple) else [parameters]
    for row in rows:
        values = row.values() if isinstance(row, dict) else row
        for value in values if isinstance(values, Iterable) and not isinstance(values, str) \
                else [values]:
            if isinstance(value, str) and "\x00" in value:
                raise InvalidInput("text with a NUL character (\\u0000) is refused: lccu "
                                   "neither stores nor looks up such text; remove it")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the parent directory is created."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True,
                                                                        exist_ok=True)
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise ConfigError(f"cannot use database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (no-op when it already is)."""
    cfg = _alembic_config(engine)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise ConfigError(f"cannot open the case database {engine.url!r}: {exc}") from exc


class Database:
    """A migrated database and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends normally, rolled back otherwise."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
