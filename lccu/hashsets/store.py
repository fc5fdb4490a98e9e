"""Hash sets in a database: import in bounded memory, list, remove, look up.

Each imported version gets its own table ``hashset_rows_<id>`` of ``(digest, category)``:
one row per hash the entry gives (an NSRL row with SHA-1 and MD5 is two rows), the digest
as raw bytes (16, 20 or 32 of them, so the algorithms never collide), the category as a
small code into the version's ``categories`` list. The table is filled in batches, each its
own transaction, and indexed once full: sorting once is far cheaper than keeping a B-tree
of random keys in order row by row. A version is used only once it is ``ready``; an import
that fails or is interrupted removes what it wrote.

The same code serves the case database (SQLite embedded, PostgreSQL in server mode) and
the scratch SQLite database ``lccu scan --hashset FILE`` loads its files into.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lccu.errors import AlreadyExists, InvalidInput, NotFound
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.models import HashSetVersion
from lccu.hashsets.formats import Entry, Malformed, Meter, parser_for
from lccu.textsafe import visible

KINDS = ("known", "notable")
#: digests written per transaction (and the most the importer holds in memory)
BATCH = 100_000
#: malformed rows quoted in the record (all are counted)
EXAMPLES = 20
MAX_CATEGORIES = 10_000
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


def check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 100 or cleaned != visible(cleaned):
        raise InvalidInput("a hash set name must have 1 to 100 printable characters")
    return cleaned


class HashSetStore:
    """Hash sets in the database behind ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"

    def _session(self) -> Session:
        return self._sessions()

    # -- import ------------------------------------------------------------------------------

    def import_file(
        self,
        name: str,
        path: Path,
        *,
        kind: str,
        fmt: str = "auto",
        description: str | None = None,
        imported_by: str,
        progress: Callable[[int], None] | None = None,
        batch: int = BATCH,
    ) -> HashSetInfo:
        """Import ``path`` as the next version of ``name``; returns the ready version."""
        name = check_name(name)
        if kind not in KINDS:
            raise InvalidInput(f"kind must be known or notable, not {kind!r}")
        if not path.is_file():
            raise InvalidInput(f"hash set file {path} does not exist or is not a file")
        fmt, parse = parser_for(fmt, path)
        set_id = self._new_version(name, kind, fmt, path.name, description, imported_by)
        try:
            return self._load(set_id, path, parse, progress, batch)
        except BaseException:
            self._drop(set_id)
            raise

    def _new_version(
        self, name: str, kind: str, fmt: str, source: str, description: str | None,
        imported_by: str,
    ) -> int:
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

    def _load(
        self,
        set_id: int,
        path: Path,
        parse: Any,
        progress: Callable[[int], None] | None,
        batch: int,
    ) -> HashSetInfo:
        table = rows_table(set_id)
        insert = f"INSERT INTO {table} (digest, category) VALUES ({self._mark}, {self._mark})"
        categories: dict[str, int] = {}
        entries = hashes = malformed = 0
        examples: list[dict[str, str]] = []
        pending: list[tuple[bytes, int | None]] = []
        reported = 0
        meter = Meter(path)
        try:
            has_md5 = has_sha1 = has_sha256 = False
            combos: set[int] = set()
            last_mask = -1
            append = pending.append
            for row in parse(path, meter):
                if row.__class__ is Malformed:
                    malformed += 1
                    if len(examples) < EXAMPLES:
                        examples.append({"where": row.where, "why": visible(row.why)})
                    continue
                code = None if row.category is None else self._category(row, categories)
                if code is False:
                    malformed += 1
                    if len(examples) < EXAMPLES:
                        examples.append(
                            {
                                "where": f"entry {entries + malformed}",
                                "why": f"more than {MAX_CATEGORIES} categories",
                            }
                        )
                    continue
                entries += 1
                mask = 0
                if row.md5 is not None:
                    has_md5 = True
                    mask = 1
                    append((row.md5, code))
                if row.sha1 is not None:
                    has_sha1 = True
                    mask |= 2
                    append((row.sha1, code))
                if row.sha256 is not None:
                    has_sha256 = True
                    mask |= 4
                    append((row.sha256, code))
                if mask != last_mask:
                    combos.add(mask)
                    last_mask = mask
                if len(pending) >= batch:
                    hashes += self._write(insert, pending)
                    if progress is not None:
                        progress(meter.count - reported)
                        reported = meter.count
            types = {
                a
                for a, has in (("md5", has_md5), ("sha1", has_sha1), ("sha256", has_sha256))
                if has
            }
            hashes += self._write(insert, pending)
            meter.drain()
            if progress is not None and meter.count > reported:
                progress(meter.count - reported)
            sha256 = meter.sha256()
        finally:
            meter.close()
        with self.engine.begin() as conn:  # covering: a hit needs no second seek for its row
            conn.exec_driver_sql(f"CREATE INDEX ix_{table}_digest ON {table} (digest, category)")
        with self._session() as session, session.begin():
            version = session.get(HashSetVersion, set_id)
            assert version is not None
            version.state = "ready"
            version.entries, version.hashes, version.malformed = entries, hashes, malformed
            version.malformed_examples = json.dumps(examples)
            version.hash_types = json.dumps(sorted(types, key=("md5", "sha1", "sha256").index))
            version.hash_combos = json.dumps(sorted(combos))
            version.categories = json.dumps(list(categories))
            version.source_sha256 = sha256
            version.finished_at = format_time(utc_now())
            return HashSetInfo.of(version, active=True)

    def extend(
        self,
        name: str,
        additions: Sequence[tuple[bytes, str | None]],
        *,
        entries: int,
        kind: str = "notable",
        description: str | None = None,
        imported_by: str,
        source: str,
    ) -> HashSetInfo:
        """The next version of ``name``: every hash of its active version plus
        ``additions`` (digest, category), e.g. the files a unit admin approved; ``entries``
        is how many entries (files) the additions are. A new version, never a change to
        one a report already names."""
        name = check_name(name)
        if kind not in KINDS:
            raise InvalidInput(f"kind must be known or notable, not {kind!r}")
        bad = [d for d, _c in additions if len(d) not in DIGEST_SIZES]
        if bad or not additions:
            raise InvalidInput("additions must be MD5, SHA-1 or SHA-256 digests")
        previous = next((v for v in self.versions(name) if v.active), None)
        if previous is not None and previous.kind != kind:
            raise InvalidInput(f"hash set {name!r} is a {previous.kind} set, not {kind}")
        if description is None and previous is not None:
            description = previous.description
        set_id = self._new_version(name, kind, "marks", source, description, imported_by)
        table = rows_table(set_id)
        try:
            categories = list(previous.categories) if previous is not None else []
            types = set(previous.hash_types) if previous is not None else set()
            if previous is not None:
                with self.engine.begin() as conn:
                    conn.exec_driver_sql(
                        f"INSERT INTO {table} (digest, category) "
                        f"SELECT digest, category FROM {rows_table(previous.id)}"
                    )
            pending: list[tuple[bytes, int | None]] = []
            for digest, category in additions:
                code = None
                if category is not None:
                    if category not in categories:
                        categories.append(category)
                    code = categories.index(category)
                pending.append((digest, code))
                types.add(DIGEST_SIZES[len(digest)])
            self._write(
                f"INSERT INTO {table} (digest, category) VALUES ({self._mark}, {self._mark})",
                pending,
            )
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
            with self._session() as session, session.begin():
                version = session.get(HashSetVersion, set_id)
                assert version is not None
                version.state = "ready"
                version.entries = (previous.entries if previous is not None else 0) + entries
                version.hashes = hashes
                version.hash_types = json.dumps(
                    sorted(types, key=("md5", "sha1", "sha256").index)
                )
                version.categories = json.dumps(categories)
                version.source_sha256 = content.hexdigest()
                version.finished_at = format_time(utc_now())
                return HashSetInfo.of(version, active=True)
        except BaseException:
            self._drop(set_id)
            raise

    @staticmethod
    def _category(row: Entry, categories: dict[str, int]) -> int | bool | None:
        if row.category is None:
            return None
        code = categories.get(row.category)
        if code is None:
            if len(categories) >= MAX_CATEGORIES:
                return False
            code = categories[row.category] = len(categories)
        return code

    def _write(self, insert: str, pending: list[tuple[bytes, int | None]]) -> int:
        """One batch, one transaction, straight to the driver's ``executemany`` (the rows
        are bytes and small integers: the engine's per-value text checks have nothing to
        check, and cost as much as the insert)."""
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

    def _drop(self, set_id: int) -> None:
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

    def active(self) -> list[HashSetInfo]:
        """The sets a new run looks files up in: the newest ready version of each name."""
        return [v for v in self.versions() if v.active]

    def get(self, name: str, version: int | None = None) -> HashSetInfo:
        found = self.versions(name)
        if not found:
            raise NotFound(f"no hash set {name.strip()!r}; see `lccu hashset list`")
        if version is None:
            chosen = [v for v in found if v.active] or found[-1:]
        else:
            chosen = [v for v in found if v.version == version]
            if not chosen:
                raise NotFound(f"hash set {name.strip()!r} has no version {version}")
        return chosen[0]

    def remove(self, name: str, version: int | None = None) -> list[HashSetInfo]:
        """Remove one version of ``name`` or all of them; returns what was removed."""
        found = self.versions(name)
        if not found:
            raise NotFound(f"no hash set {name.strip()!r}; see `lccu hashset list`")
        chosen = found if version is None else [v for v in found if v.version == version]
        if not chosen:
            raise NotFound(f"hash set {name.strip()!r} has no version {version}")
        for info in chosen:
            self._drop(info.id)
        return chosen

    def exists(self, ref: dict[str, Any]) -> bool:
        with self._session() as session:
            row = session.get(HashSetVersion, int(ref["id"]))
            return (
                row is not None
                and row.state == "ready"
                and row.name == ref["name"]
                and row.version == ref["version"]
            )

    # -- lookup ------------------------------------------------------------------------------

    def lookup(self, ref: dict[str, Any], digests: Iterable[bytes]) -> dict[bytes, set[str | None]]:
        """The categories under which each of ``digests`` is in the set version ``ref``
        (digests not in it are absent). Only the hash types the set has are asked for."""
        sizes = {n for n, a in DIGEST_SIZES.items() if a in ref.get("hash_types", ())}
        wanted = sorted({d for d in digests if len(d) in sizes})
        found: dict[bytes, set[str | None]] = {}
        if not wanted:
            return found
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
