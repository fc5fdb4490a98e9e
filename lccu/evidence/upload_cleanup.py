"""Removing what intakes cut short left behind, and keeping what running intakes still need.

A web upload or a CLI intake killed mid-way (``lccu serve`` SIGKILLed, a host losing power)
leaves partial files, incomplete S3 multipart uploads and staging copies
(:mod:`lccu.storage.leftovers`). :func:`clean_up` removes those older than the grace
period (``LCCU_UPLOAD_GRACE_MINUTES``), each one audited (``upload.cleanup``) and returned,
unless their item's intake still holds a fresh lease: an intake in progress on this or
another server (several ``lccu serve`` may share one store) renews its lease every quarter
of the grace period (:class:`IntakeLease`; before the first, its leftovers are young), so
only intakes that stopped renewing for a whole grace period lose their leftovers.
Evidence is never touched (see the storage module). Run at ``lccu serve`` start-up and by
``lccu admin cleanup-uploads``.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lccu.storage import open_store
from lccu.storage.base import DERIVED_PREFIX
from lccu.storage.leftovers import (
    Leftover,
    committed_beside,
    drop_lease,
    find,
    holder,
    lease_key,
    read_lease,
    remove,
    stale_leases,
    write_lease,
)

if TYPE_CHECKING:
    from lccu.config import Settings
    from lccu.evidence.lab_base import LabBase

OPERATION = "upload.cleanup"
RELEASE_WAIT = 2.0  # seconds an ending intake waits for its lease to be removed


def renew_every(settings: Settings) -> float:
    """How often a lease is renewed: a quarter of the grace period, at most a minute."""
    return max(0.5, min(60.0, settings.upload_grace_minutes * 60 / 4))


class IntakeLease:
    """The lease of one intake in progress, kept by a thread of its own: first written a
    quarter of the grace period after the start, renewed as often, removed at
    :meth:`release`. Until then the intake's leftovers are younger than the grace period
    and kept for that reason alone, so a short intake (most of them; any that fails fast,
    e.g. on a stalled store) never writes a lease. A stalled store holds up only this
    thread (and :meth:`release` for at most ``RELEASE_WAIT``); a lease not renewed only
    lets a cleanup act once the leftovers are older than the grace period."""

    def __init__(self, settings: Settings, case_id: str, item_id: str) -> None:
        self._settings = settings
        self._case, self._item = case_id, item_id
        self._every = renew_every(settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"lease-{item_id[:8]}")
        self._thread.start()

    def _run(self) -> None:
        if self._stop.wait(self._every):
            return  # ended before a lease was needed: nothing written, nothing to remove
        with contextlib.suppress(Exception):
            store = open_store(self._settings)
            try:
                while True:
                    with contextlib.suppress(Exception):
                        write_lease(store, self._case, self._item, holder())
                    if self._stop.wait(self._every):
                        break
                drop_lease(store, self._case, self._item)
            finally:
                store.close()

    def release(self) -> None:
        """Stop renewing; a lease written is removed by the thread (idempotent). Waits for
        that briefly, so an intake that returned leaves nothing (bounded: a stalled store
        must not hold up the intake's own answer)."""
        self._stop.set()
        self._thread.join(RELEASE_WAIT)


def clean_up(
    lab: LabBase, *, grace_minutes: float | None = None, now: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Remove leftovers older than the grace period whose item holds no fresh lease, and
    leases not renewed for as long; each removal audited as ``lab.actor``. Returns what was
    ``removed`` and what was ``kept`` (live or recent) with why."""
    settings = lab.settings
    grace = timedelta(
        minutes=settings.upload_grace_minutes if grace_minutes is None else grace_minutes
    )
    cutoff = (now or datetime.now(UTC)) - grace
    store = open_store(settings)
    removed: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    leases: dict[tuple[str, str], datetime | None] = {}
    try:
        for leftover in find(store):
            ids = (leftover.case_id, leftover.item_id)
            if ids not in leases:
                leases[ids] = read_lease(store, *ids)
            seen = leases[ids]
            if seen is not None and seen > cutoff:
                kept.append({**leftover.describe(), "why": f"intake alive (lease {seen})"})
            elif leftover.since > cutoff:
                kept.append({**leftover.describe(), "why": "younger than the grace period"})
            else:
                removed.append(_remove(lab, store, leftover))
        for ids in stale_leases(store):
            seen = leases[ids] if ids in leases else read_lease(store, *ids)
            if seen is None or seen <= cutoff:
                drop_lease(store, *ids)
                removed.append(
                    _audit(
                        lab,
                        {
                            "kind": "lease",
                            "key": DERIVED_PREFIX + lease_key(*ids),
                            "case_id": ids[0],
                            "item_id": ids[1],
                            "since": seen.isoformat() if seen else None,
                        },
                    )
                )
        unrecorded = _unrecorded(lab, store, {(r["case_id"], r["item_id"]) for r in removed})
    finally:
        store.close()
    return {"removed": removed, "kept": kept, "unrecorded": unrecorded}


def _unrecorded(lab: LabBase, store: Any, items: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """Evidence objects an intake killed mid-commit had committed (locked: kept, never
    deleted) in the folder of an item no row records: named and audited, for the evidence
    officer (absence of the item is a finding, not something to tidy away)."""
    from lccu.evidence.models import EvidenceItem

    found: list[dict[str, Any]] = []
    for case_id, item_id in sorted(items):
        keys = committed_beside(store, case_id, item_id)
        if not keys:
            continue
        with lab.db.session() as session:
            if session.get(EvidenceItem, item_id) is not None:
                continue
        for key in keys:
            what = {
                "kind": "unrecorded evidence object",
                "key": key,
                "case_id": case_id,
                "item_id": item_id,
            }
            lab.audit.write(
                lab.actor,
                OPERATION,
                allowed=True,
                object_type="evidence",
                object_id=item_id,
                detail={
                    **what,
                    "why": "committed by an intake that did not finish "
                    "(server killed mid-commit); kept, never deleted; no item "
                    "records it: tell the evidence officer",
                },
            )
            found.append(what)
    return found


def _remove(lab: LabBase, store: Any, leftover: Leftover) -> dict[str, Any]:
    remove(store, leftover)
    return _audit(lab, leftover.describe())


def _audit(lab: LabBase, what: dict[str, Any]) -> dict[str, Any]:
    lab.audit.write(
        lab.actor,
        OPERATION,
        allowed=True,
        object_type="evidence",
        object_id=what["item_id"],
        detail={
            **what,
            "why": "left by an intake that ended without finishing "
            "(server killed or stopped mid-upload); never evidence",
        },
    )
    return what


#: who the start-up cleanup of ``lccu serve`` acts as in the audit log (no user is logged in)
SERVER_ACTOR = "lccu-serve (start-up cleanup)"


def clean_up_at_start(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """The cleanup ``lccu serve`` runs before it takes requests, audited as the server."""
    from lccu.evidence.access import Actor
    from lccu.evidence.db import Database
    from lccu.evidence.lab import Lab

    lab = Lab(settings, Actor(SERVER_ACTOR, None, None, None), Database(settings.database_url))
    try:
        return clean_up(lab)
    finally:
        lab.close()


def clean_up_as_admin(
    lab: LabBase, grace_minutes: float | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The cleanup an operator runs (``lccu admin cleanup-uploads``): unit admins only, as it
    names every zone's cases and items; a refusal is audited."""
    from lccu.evidence.gate import UNIT_ADMIN_ROLES

    if lab.actor.role not in UNIT_ADMIN_ROLES:
        raise lab.gate.deny(
            OPERATION,
            "only a unit admin (role admin) cleans up the uploads of every zone",
            object_type="store",
        )
    return clean_up(lab, grace_minutes=grace_minutes)


__all__ = [
    "OPERATION",
    "SERVER_ACTOR",
    "IntakeLease",
    "clean_up",
    "clean_up_as_admin",
    "clean_up_at_start",
    "renew_every",
]
