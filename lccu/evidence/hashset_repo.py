"""The hash sets' database steps: version rows, the per-version ``hashset_rows_<id>``
tables and the lookup queries.

The rules (formats, categories, what a version holds) are :mod:`lccu.hashsets.store`'s;
this repository is how it reaches the database without opening sessions or importing ORM
models itself (nothing outside :mod:`lccu.evidence` does). The SQL is the benchmarked one
(``bench/hashsets.py``): rows go straight to the driver's ``executemany`` and lookups use the
driver's cursor. None of these steps is an access decision: the Lab checks the caller first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lccu.errors import AlreadyExists, NotFound
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.models import HashSetVersion

#: digests per SQLite lookup query
LOOKUP_CHUNK = 500
#: digests per PostgreSQL lookup query (one array parameter)
ARRAY_CHUNK = 50_000
#: SQLite: bytes of the database file mapped while looking up
MMAP_SIZE = 1 << 30
DIGEST_SIZES = {16: "md5", 20: "sha1", 32: "sha256"}


@dataclass(frozen=True)
class HashSetInfo:
    """One version of a hash set, as listed and shown."""

    id: int
    name: str
    version: int
    kind: str
    description: str | None
    format: str
    source: str
    source_sha256: str | None
    state: str
    entries: int
    hashes: int
    malformed: int
    malformed_examples: list[dict[str, str]] = field(default_factory=list)
    hash_types: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    imported_by: str = ""
    started_at: str = ""
    finished_at: str | None = None
    active: bool = False
    #: the hash-type combinations of its entries (bit masks 1 MD5, 2 SHA-1, 4 SHA-256), or
    #: None when not known
    hash_combos: list[int] | None = None

    @classmethod
    def of(cls, row: HashSetVersion, active: bool = False) -> HashSetInfo:
        return cls(
            row.id,
            row.name,
            row.version,
            row.kind,
            row.description,
            row.format,
            row.source,
            row.source_sha256,
            row.state,
            row.entries,
            row.hashes,
            row.malformed,
            json.loads(row.malformed_examples),
            json.loads(row.hash_types),
            json.loads(row.categories),
            row.imported_by,
            row.started_at,
            row.finished_at,
            active,
            None if row.hash_combos is None else json.loads(row.hash_combos),
        )

    def ref(self) -> dict[str, Any]:
        """What a run pins and the report names: the set, its version and kind."""
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "hash_types": self.hash_types,
            "source_sha256": self.source_sha256,
            "hash_combos": self.hash_combos,
        }

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def rows_table(set_id: int) -> str:
    return f"hashset_rows_{int(set_id)}"


class HashSetRepository:
    """Hash-set versions and their rows in the database behind ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"

    def _session(self) -> Session:
        return self._sessions()

    # -- writing -----------------------------------------------------------------------------

    def new_version(
        self, name: str, kind: str, fmt: str, source: str, description: str | None,
        imported_by: str,
    ) -> int:
        """Number and record the next version of ``name`` (state ``importing``) and create
        its empty rows table; returns its id."""
        for _attempt in range(10):
            try:
                with self._session() as session, session.begin():
                    last = (
                        session.scalar(
                            select(func.max(HashSetVersion.version)).where(
                                HashSetVersion.name == name
                            )
                        )
                        or 0
                    )
                    row = HashSetVersion(
                        name=name,
                        version=last + 1,
                        kind=kind,
                        description=description,
                        format=fmt,
                        source=source,
                        state="importing",
                        entries=0,
                        hashes=0,
                        malformed=0,
                        malformed_examples="[]",
                        hash_types="[]",
                        categories="[]",
                        imported_by=imported_by,
                        started_at=format_time(utc_now()),
                    )
                    session.add(row)
                    session.flush()
                    set_id = row.id
            except IntegrityError:
                continue  # another import of this name took the number
            with self.engine.begin() as conn:
                conn.exec_driver_sql(
                    f"CREATE TABLE {rows_table(set_id)} "
                    f"(digest {self._blob()} NOT NULL, category INTEGER)"
                )
            return set_id
        raise AlreadyExists(f"hash set {name!r} is being imported by others; try again")

    def _blob(self) -> str:
        return "BYTEA" if self.engine.dialect.name == "postgresql" else "BLOB"

    def insert_statement(self, set_id: int) -> str:
        """The statement :meth:`write` sends for the rows of version ``set_id``."""
        table = rows_table(set_id)
        return f"INSERT INTO {table} (digest, category) VALUES ({self._mark}, {self._mark})"

    def write(self, insert: str, pending: list[tuple[bytes, int | None]]) -> int:
        """One batch, one transaction, straight to the driver's ``executemany`` (the rows
        are bytes and small integers: the engine's per-value text checks have nothing to
        check, and cost as much as the insert). Empties ``pending``; returns its length."""
        if not pending:
            return 0
        count = len(pending)
        with self.engine.begin() as conn:
            cursor = conn.connection.cursor()
            try:
                cursor.executemany(insert, pending)
            finally:
                cursor.close()
        pending.clear()
        return count

    def index(self, set_id: int) -> None:
        """Index a filled rows table (once, when full: far cheaper than row by row)."""
        table = rows_table(set_id)
        with self.engine.begin() as conn:  # covering: a hit needs no second seek for its row
            conn.exec_driver_sql(f"CREATE INDEX ix_{table}_digest ON {table} (digest, category)")

    def copy_rows(self, source_id: int, set_id: int) -> None:
        """Every row of version ``source_id`` into the rows table of ``set_id``."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO {rows_table(set_id)} (digest, category) "
                f"SELECT digest, category FROM {rows_table(source_id)}"
            )

    def index_and_digest(self, set_id: int, categories: Sequence[str]) -> tuple[str, int]:
        """Index the rows of ``set_id`` and return the SHA-256 of its content (sorted
        ``hex,category`` lines) and its number of rows, in one transaction."""
        table = rows_table(set_id)
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                f"CREATE INDEX ix_{table}_digest ON {table} (digest, category)"
            )
            content = hashlib.sha256()
            for digest, code in conn.exec_driver_sql(
                f"SELECT digest, category FROM {table} ORDER BY digest, category"
            ):
                label = "" if code is None else categories[code]
                content.update(f"{bytes(digest).hex()},{label}\n".encode())
            hashes = int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
        return content.hexdigest(), hashes

    def mark_ready(self, set_id: int, **fields: Any) -> HashSetInfo:
        """Record the finished version's ``fields`` (list values as JSON) and make it
        ``ready``: from now on it is used."""
        with self._session() as session, session.begin():
            version = session.get(HashSetVersion, set_id)
            assert version is not None
            version.state = "ready"
            for key, value in fields.items():
                setattr(version, key, json.dumps(value) if isinstance(value, list) else value)
            version.finished_at = format_time(utc_now())
            return HashSetInfo.of(version, active=True)

    def drop(self, set_id: int) -> None:
        """Remove version ``set_id``: its rows table and its record."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {rows_table(set_id)}")
        with self._session() as session, session.begin():
            session.execute(delete(HashSetVersion).where(HashSetVersion.id == set_id))

    # -- reading -----------------------------------------------------------------------------

    def versions(self, name: str | None = None) -> list[HashSetInfo]:
        """Every version (of ``name``), by name then version; the newest ready version of
        each name is the active one."""
        with self._session() as session:
            query = select(HashSetVersion).order_by(HashSetVersion.name, HashSetVersion.version)
            if name is not None:
                query = query.where(HashSetVersion.name == name.strip())
            rows = list(session.scalars(query))
        newest = {r.name: r.version for r in rows if r.state == "ready"}
        return [
            HashSetInfo.of(r, active=r.state == "ready" and newest[r.name] == r.version)
            for r in rows
        ]

    def exists(self, ref: dict[str, Any]) -> bool:
        """Whether the version ``ref`` names is still there and ready."""
        with self._session() as session:
            row = session.get(HashSetVersion, int(ref["id"]))
            return (
                row is not None
                and row.state == "ready"
                and row.name == ref["name"]
                and row.version == ref["version"]
            )

    def lookup(self, ref: dict[str, Any], wanted: list[bytes]) -> dict[bytes, set[str | None]]:
        """The categories under which each of the sorted ``wanted`` digests is in the set
        version ``ref`` (digests not in it are absent)."""
        found: dict[bytes, set[str | None]] = {}
        with self._session() as session:
            row = session.get(HashSetVersion, int(ref["id"]))
            if row is None or row.state != "ready":
                raise NotFound(f"hash set {ref['name']} version {ref['version']} was removed")
            labels: Sequence[str] = json.loads(row.categories)
        table = rows_table(int(ref["id"]))
        with self.engine.connect() as conn:
            cursor = conn.connection.cursor()  # the driver's: rows come back by the thousand
            try:
                if self.engine.dialect.name == "sqlite":
                    rows = _sqlite_in(cursor, table, wanted)
                else:
                    rows = _any_array(cursor, table, wanted)
                for value, code in rows:
                    found.setdefault(bytes(value), set()).add(
                        None if code is None else labels[code]
                    )
            finally:
                cursor.close()
        return found


def _sqlite_in(cursor: Any, table: str, wanted: list[bytes]) -> list[tuple[bytes, Any]]:
    """SQLite: ``IN`` lists of :data:`LOOKUP_CHUNK` sorted digests, so consecutive seeks
    share the index pages they read, read through a mapping (no ``read()`` per page).
    (A temporary table joined with ``CROSS JOIN`` cost more CPU here: filling its B-tree
    cost more than parsing the statements it saved.)"""
    cursor.execute(f"PRAGMA mmap_size={MMAP_SIZE}")
    rows: list[tuple[bytes, Any]] = []
    try:
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            cursor.execute(
                f"SELECT digest, category FROM {table} WHERE digest IN "
                f"({', '.join('?' * len(chunk))})",
                chunk,
            )
            rows.extend(cursor.fetchall())
    finally:
        cursor.execute("PRAGMA mmap_size=0")
    return rows


def _any_array(cursor: Any, table: str, wanted: list[bytes]) -> list[tuple[bytes, Any]]:
    """PostgreSQL: the digests as one ``bytea[]`` parameter per :data:`ARRAY_CHUNK`, which
    the server probes its index with (no statement of thousands of placeholders)."""
    rows: list[tuple[bytes, Any]] = []
    for start in range(0, len(wanted), ARRAY_CHUNK):
        cursor.execute(
            f"SELECT digest, category FROM {table} WHERE digest = ANY(%s)",
            (wanted[start : start + ARRAY_CHUNK],),
        )
        rows.extend(cursor.fetchall())
    return rows


def ensure_scratch_schema(engine: Engine) -> None:
    """The versions table in a scratch database (``lccu scan --hashset``), which is not a
    case database and has no migrations."""
    HashSetVersion.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]

