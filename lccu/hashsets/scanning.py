"""The hash sets of ``lccu scan``, which needs no server and no user.

``--hashset FILE`` (repeatable) reads those files and nothing else: each is loaded into a
scratch SQLite database in a temporary folder (the importer's bounded memory holds for a
40-million-row NSRL file too) and thrown away after the scan. ``KIND:FILE`` (``known:`` or
``notable:``) sets the kind; otherwise NSRL files are known and all others notable.
Without ``--hashset`` the scan uses the active sets of the configured case database when
it exists (the unit's sets, as ``lccu process`` would), and none with ``--no-hashsets``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from lccu.config import Settings
from lccu.errors import SchemaMismatch
from lccu.hashsets.formats import KNOWN_FORMATS, detect
from lccu.hashsets.lookup import HashSetLookup
from lccu.hashsets.store import KINDS, HashSetStore, ensure_scratch_schema

#: progress(file label, total bytes) -> (advance, stop), like lccu.cli.app.progress_bar
Progress = Callable[[int | None, str], tuple[Callable[[int], None], Callable[[], None]]]


def parse_spec(spec: str) -> tuple[str | None, Path]:
    """``known:FILE``, ``notable:FILE`` or ``FILE`` (a file whose own name starts with
    ``known:`` is still that file)."""
    kind, sep, rest = spec.partition(":")
    if sep and kind in KINDS and not Path(spec).exists():
        return kind, Path(rest)
    return None, Path(spec)


@contextmanager
def from_files(specs: Sequence[str], progress: Progress | None = None) -> Iterator[HashSetLookup]:
    """Load ``specs`` into a scratch database for the length of the scan."""
    from lccu.evidence.db import make_engine

    with tempfile.TemporaryDirectory(prefix="lccu-hashsets-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'hashsets.sqlite3'}")
        try:
            ensure_scratch_schema(engine)
            store = HashSetStore(engine)
            warnings: list[dict[str, str]] = []
            names: set[str] = set()
            for spec in specs:
                kind, path = parse_spec(spec)
                fmt = detect(path) if path.is_file() else "auto"
                name = path.name if path.name not in names else str(path)
                names.add(name)
                advance, stop = (
                    progress(path.stat().st_size if path.is_file() else None, f"hash set {path}")
                    if progress is not None
                    else (None, lambda: None)
                )
                try:
                    info = store.import_file(
                        name,
                        path,
                        kind=kind or ("known" if fmt in KNOWN_FORMATS else "notable"),
                        fmt=fmt,
                        imported_by="lccu scan",
                        progress=advance,
                    )
                finally:
                    stop()
                if info.malformed:
                    first = "; ".join(
                        f"{e['where']}: {e['why']}" for e in info.malformed_examples[:3]
                    )
                    warnings.append(
                        {
                            "where": f"hash set {path}",
                            "message": f"{info.malformed} row(s) could not be read and were "
                            f"not used ({first})",
                        }
                    )
            yield HashSetLookup(store, [s.ref() for s in store.active()], warnings)
        finally:
            engine.dispose()


@contextmanager
def from_database(
    settings: Settings, note: Callable[[str], None] = lambda _text: None
) -> Iterator[HashSetLookup | None]:
    """The active sets of the configured case database; None when there is no database
    (a SQLite file that does not exist, an empty database) or it cannot be used (a schema
    of another lccu version, a server that does not answer): the scan then goes on without
    hash sets and ``note`` says why (the examiner did not ask for sets explicitly)."""
    from lccu.errors import ConfigError
    from lccu.evidence.db import at_head, make_engine, schema_state

    url = settings.database_url
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path.startswith(":memory:") or not Path(path).expanduser().is_file():
            yield None
            return
    engine = make_engine(url)
    try:
        try:
            empty = False
            if not at_head(engine):  # Alembic only for a database not at the code's head
                state = schema_state(engine)
                if state.current != state.head and not state.empty:
                    raise SchemaMismatch(
                        f"the case database is at schema {state.current}, this lccu needs "
                        f"{state.head} (`lccu db upgrade`)"
                    )
                empty = state.empty
            sets = [] if empty else [s.ref() for s in HashSetStore(engine).active()]
        except ConfigError as exc:
            note(f"lccu scan: no hash sets from the case database: {exc}; scanning without")
            yield None
            return
        yield HashSetLookup(HashSetStore(engine), sets) if sets else None
    finally:
        engine.dispose()
