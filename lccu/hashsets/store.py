"""Hash sets in a database: import in bounded memory, list, remove, look up.

Each imported version gets its own table ``hashset_rows_<id>`` of ``(digest, category)``:
one row per hash the entry gives (an NSRL row with SHA-1 and MD5 is two rows), the digest
as raw bytes (16, 20 or 32 of them, so the algorithms never collide), the category as a
small code into the version's ``categories`` list. The table is filled in batches, each its
own transaction, and indexed once full: sorting once is far cheaper than keeping a B-tree
of random keys in order row by row. A version is used only once it is ``ready``; an import
that fails or is interrupted removes what it wrote.

The same code serves the case database (SQLite embedded, PostgreSQL in server mode) and
the scratch SQLite database ``lccu scan --hashset FILE`` loads its files into. Its database
steps (SQL and ORM rows) are :mod:`lccu.evidence.hashset_repo`'s: nothing outside
:mod:`lccu.evidence` opens sessions or imports ORM models (issue 14).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from lccu.errors import InvalidInput, NotFound
from lccu.evidence.hashset_repo import (
    ARRAY_CHUNK,
    DIGEST_SIZES,
    LOOKUP_CHUNK,
    MMAP_SIZE,
    HashSetInfo,
    HashSetRepository,
    rows_table,
)
from lccu.evidence.hashset_repo import ensure_scratch_schema as ensure_scratch_schema
from lccu.hashsets.formats import Entry, Malformed, Meter, parser_for
from lccu.textsafe import visible

KINDS = ("known", "notable")
#: digests written per transaction (and the most the importer holds in memory)
BATCH = 100_000
#: malformed rows quoted in the record (all are counted)
EXAMPLES = 20
MAX_CATEGORIES = 10_000


def check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 100 or cleaned != visible(cleaned):
        raise InvalidInput("a hash set name must have 1 to 100 printable characters")
    return cleaned


class HashSetStore:
    """Hash sets in the database behind ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._repo = HashSetRepository(engine)

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
        return self._repo.new_version(name, kind, fmt, source, description, imported_by)

    def _load(
        self,
        set_id: int,
        path: Path,
        parse: Any,
        progress: Callable[[int], None] | None,
        batch: int,
    ) -> HashSetInfo:
        insert = self._repo.insert_statement(set_id)
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
        self._repo.index(set_id)
        return self._repo.mark_ready(
            set_id,
            entries=entries,
            hashes=hashes,
            malformed=malformed,
            malformed_examples=examples,
            hash_types=sorted(types, key=("md5", "sha1", "sha256").index),
            hash_combos=sorted(combos),
            categories=list(categories),
            source_sha256=sha256,
        )

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
        try:
            categories = list(previous.categories) if previous is not None else []
            types = set(previous.hash_types) if previous is not None else set()
            if previous is not None:
                self._repo.copy_rows(previous.id, set_id)
            pending: list[tuple[bytes, int | None]] = []
            for digest, category in additions:
                code = None
                if category is not None:
                    if category not in categories:
                        categories.append(category)
                    code = categories.index(category)
                pending.append((digest, code))
                types.add(DIGEST_SIZES[len(digest)])
            self._write(self._repo.insert_statement(set_id), pending)
            sha256, hashes = self._repo.index_and_digest(set_id, categories)
            return self._repo.mark_ready(
                set_id,
                entries=(previous.entries if previous is not None else 0) + entries,
                hashes=hashes,
                hash_types=sorted(types, key=("md5", "sha1", "sha256").index),
                categories=categories,
                source_sha256=sha256,
            )
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
        """One batch, one transaction (see :meth:`HashSetRepository.write`)."""
        return self._repo.write(insert, pending)

    def _drop(self, set_id: int) -> None:
        self._repo.drop(set_id)

    # -- reading -----------------------------------------------------------------------------

    def versions(self, name: str | None = None) -> list[HashSetInfo]:
        """Every version (of ``name``), by name then version; the newest ready version of
        each name is the active one."""
        return self._repo.versions(name)

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
        return self._repo.exists(ref)

    # -- lookup ------------------------------------------------------------------------------

    def lookup(self, ref: dict[str, Any], digests: Iterable[bytes]) -> dict[bytes, set[str | None]]:
        """The categories under which each of ``digests`` is in the set version ``ref``
        (digests not in it are absent). Only the hash types the set has are asked for."""
        sizes = {n for n, a in DIGEST_SIZES.items() if a in ref.get("hash_types", ())}
        wanted = sorted({d for d in digests if len(d) in sizes})
        if not wanted:
            return {}
        return self._repo.lookup(ref, wanted)


__all__ = [
    "ARRAY_CHUNK", "BATCH", "DIGEST_SIZES", "EXAMPLES", "KINDS", "LOOKUP_CHUNK",
    "MAX_CATEGORIES", "MMAP_SIZE", "HashSetInfo", "HashSetStore", "check_name",
    "ensure_scratch_schema", "rows_table",
]
