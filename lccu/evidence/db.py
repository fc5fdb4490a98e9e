"""Engine, sessions and schema migrations for the case database.

SQLite is the embedded default; any SQLAlchemy URL (``LCCU_DATABASE_URL``) works, PostgreSQL
being the server choice. The schema is created and upgraded with Alembic, never with
``create_all``. A new, empty database is created on first use; an existing one moves forward
only with ``lccu db upgrade``, and lccu refuses to run against a schema older or newer than
its code (:func:`check_schema`).

Alembic is imported only when a database is not at this code's newest revision: opening an
up-to-date database reads its ``alembic_version`` row with SQLAlchemy and compares it with
:func:`head_revision` (:func:`at_head`). Importing Alembic (with Mako, Pygments and every
dialect's DDL module) and reading the migration scripts cost 0.1-0.2 s, paid by every
``lccu`` command that opens the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from lccu.errors import ConfigError, InvalidInput, SchemaMismatch

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


@cache
def head_revision() -> str:
    """The newest revision this code knows, from the migration files' names
    (``versions/NNNN_name.py`` holds revision ``NNNN``) without importing Alembic.
    tests/evidence/test_db_head.py checks that it is Alembic's head and that every file
    follows the naming."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("*_*.py"))


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

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


def _refuse_nul(
    _conn: object,
    _cursor: object,
    _statement: str,
    parameters: object,
    _context: object,
    _executemany: bool,
) -> None:
    """Refuse text holding a NUL character before it reaches the database: PostgreSQL cannot
    store it (an internal error, 500 or exit 3, for what is bad input) and SQLite would
    store it where other tools cut the text short. Same answer on both: InvalidInput."""
    rows: Any = (
        parameters
        if isinstance(parameters, list | tuple)
        and parameters
        and isinstance(parameters[0], dict | list | tuple)
        else [parameters]
    )
    for row in rows:
        values = row.values() if isinstance(row, dict) else row
        for value in (
            values if isinstance(values, Iterable) and not isinstance(values, str) else [values]
        ):
            if isinstance(value, str) and "\x00" in value:
                raise InvalidInput(
                    "text with a NUL character (\\u0000) is refused: lccu "
                    "neither stores nor looks up such text; remove it"
                )


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the parent directory is created."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise ConfigError(f"cannot use database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against this lccu's migrations."""

    current: str | None  # the Alembic revision recorded in the database, None if none
    head: str  # the newest revision this code knows
    known: tuple[str, ...]  # every revision this code knows, oldest first
    empty: bool  # no tables at all: a new database

    @property
    def older(self) -> bool:
        return self.current in self.known and self.current != self.head

    @property
    def newer(self) -> bool:
        return self.current is not None and self.current not in self.known


def at_head(engine: Engine) -> bool:
    """Whether the database records exactly :func:`head_revision`: one SELECT, no Alembic.
    False for anything else (no ``alembic_version`` table as in a new database, an older or
    a newer revision), which :func:`schema_state` then tells apart; a database that cannot
    be reached is a ConfigError, as there."""
    try:
        with engine.connect() as conn:
            try:
                rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
            except SQLAlchemyError:
                return False  # no such table (a new database), or not an lccu database
    except SQLAlchemyError as exc:
        raise ConfigError(f"cannot open the case database {_shown(engine)}: {exc}") from exc
    return [row[0] for row in rows] == [head_revision()]


def schema_state(engine: Engine) -> SchemaState:
    """Read the database's revision (without changing anything), with Alembic."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(engine))
    known = tuple(reversed([r.revision for r in script.walk_revisions()]))
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            empty = current is None and not inspect(conn).get_table_names()
    except SQLAlchemyError as exc:
        raise ConfigError(f"cannot open the case database {_shown(engine)}: {exc}") from exc
    return SchemaState(current, str(script.get_current_head()), known, empty)


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision (no-op when it already is); returns the
    revisions before and after. Refuses a database newer than the code."""
    state = schema_state(engine)
    if state.newer:
        raise SchemaMismatch(_newer_message(engine, state))
    if state.current == state.head:
        return state.current, state.head
    from alembic import command

    cfg = _alembic_config(engine)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        if engine.dialect.name == "sqlite":  # rows a migration scrubbed (0014): out of the WAL
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except SQLAlchemyError as exc:
        raise ConfigError(f"cannot upgrade the case database {_shown(engine)}: {exc}") from exc
    return state.current, state.head


def _newer_message(engine: Engine, state: SchemaState) -> str:
    return (
        f"the case database {_shown(engine)} is at schema {state.current}, newer than "
        f"this lccu knows (its newest is {state.head}): another server upgraded it; "
        "install the same lccu version as that server here (never run an older lccu "
        "against it)"
    )


def check_schema(engine: Engine) -> None:
    """Refuse a database whose schema is older or newer than the code, naming the command
    that fixes it; a new, empty database is created (the embedded two-command set-up).

    Upgrading is an operator's decision (back up first, every server on the same version),
    so it is never done implicitly: ``lccu db upgrade``."""
    if at_head(engine):
        return
    state = schema_state(engine)
    if state.current == state.head:
        return
    if state.empty:
        upgrade(engine)
        return
    if state.newer:
        raise SchemaMismatch(_newer_message(engine, state))
    if state.current is None:
        raise SchemaMismatch(
            f"the database {_shown(engine)} has tables but no lccu schema "
            "version: it is not an lccu case database; check "
            "LCCU_DATABASE_URL"
        )
    raise SchemaMismatch(
        f"the case database {_shown(engine)} is at schema {state.current}, "
        f"this lccu needs {state.head}: back it up, stop the workers and "
        "the web server, then run `lccu db upgrade`"
    )


class Database:
    """A migrated database and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        check_schema(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends normally, rolled back otherwise."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
