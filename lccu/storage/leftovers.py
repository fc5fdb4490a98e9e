"""What an intake cut short leaves in a store, found and removed without touching evidence.

An intake writes before it commits: a temporary file beside the final name
(``cases/<case>/<item>/.lccu-partial-...`` in the local store), an S3 multipart upload not
yet completed (no object version exists until then), and, for an uploaded container,
staging copies in the derived area (``derived/staging/<case>/<item>/...``). A process
killed mid-intake (``lccu serve`` SIGKILLed) cannot remove them. :func:`find` lists them
with their age; :func:`remove` takes one away. By construction neither can reach evidence:
in the evidence area only a ``.lccu-partial-`` file (never a committed name) is unlinked
and only an *incomplete* multipart upload is aborted (a committed, locked version is
never deleted); staging copies are derived data.

An intake in progress keeps a *lease* (``derived/leases/<case>/<item>.json``, rewritten
while it lives, removed when it ends): leftovers of an item whose lease is fresh belong to
an intake still running (on this server or another) and are kept (see
:mod:`lccu.evidence.upload_cleanup`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lccu.storage.base import DERIVED_PREFIX, EvidenceStore
from lccu.storage.local import LocalStore
from lccu.storage.s3 import S3Store

STAGING = "staging"  # derived/staging/<case>/<item>/<file>: an upload's staging copies
LEASES = "leases"  # derived/leases/<case>/<item>.json: an intake in progress
PARTIAL = ".lccu-partial-"  # a local store's file being written (never a committed name)


@dataclass(frozen=True)
class Leftover:
    """One thing an unfinished intake left: what, where, for which item, since when."""

    kind: str  # "partial file", "multipart upload", "staging copy"
    key: str  # the object key (or local path below the store's root)
    case_id: str
    item_id: str
    since: datetime  # last written (file, object) or started (multipart upload)
    handle: str = ""  # the multipart upload id

    def describe(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "key": self.key,
            "case_id": self.case_id,
            "item_id": self.item_id,
            "since": self.since.isoformat(),
            **({"upload_id": self.handle} if self.handle else {}),
        }


def _ids(key: str, first: str) -> tuple[str, str] | None:
    """(case, item) of ``first/<case>/<item>/<file>``; None for any other shape."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != first or not all(parts[1:]):
        return None
    return parts[1], parts[2]


def _local(store: LocalStore) -> Iterator[Leftover]:
    root = store.root
    for top, evidence in (("cases", True), (f"{DERIVED_PREFIX}{STAGING}", False)):
        base = root / top
        if not base.is_dir():
            continue
        for path in base.glob("*/*/*"):
            name = path.relative_to(base).as_posix()
            if not path.is_file() or (evidence and not path.name.startswith(PARTIAL)):
                continue  # in the evidence area only a file still being written
            ids = _ids(f"x/{name}", "x")
            if ids is None:
                continue
            since = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            kind = "partial file" if path.name.startswith(PARTIAL) else "staging copy"
            yield Leftover(kind, path.relative_to(root).as_posix(), *ids, since)


def _uploads(store: S3Store, bucket: str, prefix: str) -> Iterator[Any]:
    """Every incomplete multipart upload under ``prefix`` (all pages)."""
    key_marker: str | None = None
    upload_marker: str | None = None
    while True:
        page = store.client._list_multipart_uploads(
            bucket, prefix=prefix, key_marker=key_marker, upload_id_marker=upload_marker
        )
        yield from page.uploads
        if not page.is_truncated:
            return
        key_marker, upload_marker = page.next_key_marker, page.next_upload_id_marker


def _s3(store: S3Store) -> Iterator[Leftover]:
    staging = f"{DERIVED_PREFIX}{STAGING}/"
    for bucket, prefix in ((store.bucket, "cases/"), (store.derived_bucket, staging)):
        for upload in _uploads(store, bucket, prefix):
            name = str(upload.object_name)
            ids = (
                _ids(name.removeprefix(DERIVED_PREFIX), STAGING)
                if name.startswith(DERIVED_PREFIX)
                else _ids(name, "cases")
            )
            if ids is not None:
                yield Leftover(
                    "multipart upload",
                    name,
                    *ids,
                    upload.initiated_time or datetime.now(UTC),
                    str(upload.upload_id),
                )
    for obj in store.client.list_objects(store.derived_bucket, prefix=staging, recursive=True):
        ids = _ids(str(obj.object_name).removeprefix(DERIVED_PREFIX), STAGING)
        if ids is not None:
            yield Leftover(
                "staging copy", str(obj.object_name), *ids, obj.last_modified or datetime.now(UTC)
            )


def find(store: EvidenceStore) -> list[Leftover]:
    """Everything unfinished intakes left in ``store`` (live ones' too: see the leases)."""
    if isinstance(store, LocalStore):
        return list(_local(store))
    if isinstance(store, S3Store):
        with store._errors("listing unfinished uploads"):
            return list(_s3(store))
    return []


def remove(store: EvidenceStore, leftover: Leftover) -> None:
    """Take one leftover away (never evidence: see the module docstring)."""
    if isinstance(store, LocalStore):
        path = store.root / leftover.key
        in_evidence = not leftover.key.startswith(DERIVED_PREFIX)
        if in_evidence and not path.name.startswith(PARTIAL):
            raise ValueError(f"{leftover.key} is not a partial file; refusing")
        path.unlink(missing_ok=True)
        for parent in (path.parent, path.parent.parent):  # the item's, the case's folder
            with contextlib.suppress(OSError):
                parent.rmdir()  # only when empty
        return
    if isinstance(store, S3Store):
        with store._errors(f"removing {leftover.kind} {leftover.key}"):
            if leftover.kind == "multipart upload":
                bucket = (
                    store.derived_bucket
                    if leftover.key.startswith(DERIVED_PREFIX)
                    else store.bucket
                )
                store.client._abort_multipart_upload(bucket, leftover.key, leftover.handle)
            elif leftover.kind == "staging copy":
                store.delete_derived(leftover.key.removeprefix(DERIVED_PREFIX))


def committed_beside(store: EvidenceStore, case_id: str, item_id: str) -> list[str]:
    """Committed evidence objects in an item's folder (``cases/<case>/<item>/``): after a
    process killed mid-commit, the files of the item it had committed already (locked,
    never deleted) that no item may record."""
    prefix = f"cases/{case_id}/{item_id}/"
    if isinstance(store, LocalStore):
        folder = store.root / prefix
        return (
            sorted(
                prefix + p.name
                for p in folder.iterdir()
                if p.is_file() and not p.name.startswith(PARTIAL)
            )
            if folder.is_dir()
            else []
        )
    if isinstance(store, S3Store):
        with store._errors(f"listing {prefix}"):
            return sorted(
                {
                    str(o.object_name)
                    for o in store.client.list_objects(store.bucket, prefix=prefix, recursive=True)
                }
            )
    return []


def lease_key(case_id: str, item_id: str) -> str:
    return f"{LEASES}/{case_id}/{item_id}.json"


def write_lease(store: EvidenceStore, case_id: str, item_id: str, holder: str) -> None:
    """Say (again) that the intake of ``item_id`` is alive now."""
    body = json.dumps(
        {
            "case_id": case_id,
            "item_id": item_id,
            "holder": holder,
            "seen": datetime.now(UTC).isoformat(),
        }
    ).encode()
    store.put_derived(lease_key(case_id, item_id), io.BytesIO(body), size=len(body))


def read_lease(store: EvidenceStore, case_id: str, item_id: str) -> datetime | None:
    """When the intake of ``item_id`` last said it was alive; None without a lease."""
    from lccu.errors import LccuError

    try:
        with store.open_derived(lease_key(case_id, item_id)) as stream:
            seen = json.loads(stream.read(4096))["seen"]
    except (LccuError, ValueError, KeyError, TypeError):
        return None
    return datetime.fromisoformat(seen)


def drop_lease(store: EvidenceStore, case_id: str, item_id: str) -> None:
    """Remove the lease (and, in a local store, its folders once empty)."""
    with contextlib.suppress(Exception):
        store.delete_derived(lease_key(case_id, item_id))
    if isinstance(store, LocalStore):
        folder = store.root / DERIVED_PREFIX / LEASES / case_id
        for directory in (folder, folder.parent, folder.parent.parent):
            with contextlib.suppress(OSError):
                directory.rmdir()  # only when empty


def holder() -> str:
    """Who holds a lease: this host and process."""
    return f"{os.uname().nodename}:{os.getpid()}"


def stale_leases(store: EvidenceStore) -> list[tuple[str, str]]:
    """(case, item) of every lease in the store (to remove those long not renewed)."""
    if isinstance(store, LocalStore):
        base = store.root / DERIVED_PREFIX / LEASES
        return [(p.parent.name, p.stem) for p in base.glob("*/*.json")] if base.is_dir() else []
    if isinstance(store, S3Store):
        prefix = f"{DERIVED_PREFIX}{LEASES}/"
        with store._errors("listing upload leases"):
            found = []
            for obj in store.client.list_objects(
                store.derived_bucket, prefix=prefix, recursive=True
            ):
                parts = str(obj.object_name).removeprefix(prefix).split("/")
                if len(parts) == 2 and parts[1].endswith(".json"):
                    found.append((parts[0], parts[1].removesuffix(".json")))
            return found
    return []


__all__ = [
    "Leftover",
    "committed_beside",
    "drop_lease",
    "find",
    "holder",
    "read_lease",
    "remove",
    "stale_leases",
    "write_lease",
]
