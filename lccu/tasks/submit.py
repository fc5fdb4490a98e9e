"""Submitting a processing run, and reading its state back for ``lccu status``.

A run is planned in full when submitted: one row per stage, one per segment for carving and
YARA over the image, so any free worker can take any segment. Hashing stays one sequential
pass (MD5, SHA-1 and SHA-256 need the bytes in order).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lccu.config import current_settings
from lccu.errors import InvalidInput
from lccu.tasks import queue
from lccu.tasks.state import PRIORITIES

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab

SEGMENTED = ("carve", "yara")


def segment_size() -> int:
    """Carve/YARA segment size of new runs (``LCCU_SEGMENT_SIZE``, checked by the settings)."""
    return current_settings().segment_size


@dataclass(frozen=True)
class Submitted:
    run_id: str
    evidence_id: str
    queued: int  # stages runnable now: one work token each


CARVE_MODES = ("all", "unallocated", "none")


def plan(size: int, seg: int, *, yara: bool = True, carve: str = "all",
         expand: bool = True, hashsets: bool = False) -> list[tuple[str, int, int, int]]:
    """(stage, segment, start, end) rows of a run over an image of ``size`` bytes; a disabled
    stage (``carve="none"``, ``yara=False``, ``expand=False``) gets no rows at all, so
    nothing waits for it."""
    bounds = [(i, s, min(size, s + seg)) for i, s in enumerate(range(0, max(size, 1), seg))]
    enabled = [s for s in SEGMENTED if (s != "carve" or carve != "none") and (s != "yara" or yara)]
    rows = [("hash", 0, 0, size), ("files", 0, 0, size), ("timeline", 0, 0, size)]
    rows += [(stage, i, s, e) for stage in enabled for i, s, e in bounds]
    if expand:
        rows.append(("archives", 0, 0, size))
    if yara:
        rows.append(("yara-files", 0, 0, size))
    if hashsets:  # only when a hash set is active: lookups of every file in each
        rows.append(("hashsets", 0, 0, size))
    rows.append(("thumbnails", 0, 0, size))  # from the exported copies: pictures, videos
    return [*rows, ("report", 0, 0, size)]


def submit(lab: Lab, evidence_ref: str, *, priority: str = "normal",
           rules: list[Path] | None = None, yara: bool = True,
           carve: str = "all", timezone: str | None = None, expand: bool = True,
           passwords: Sequence[str] = ()) -> Submitted:
    """Queue a run for one evidence item, as the acting user (their zone is the submitter).

    ``yara``, ``carve`` and ``expand`` are ``lccu scan``'s options: they are stored in the
    run's options, shape the plan and (carve) the stage cache keys. ``timezone`` is the
    source machine's IANA zone for local file-system times (part of the files stage's cache
    key); by default the item's (:func:`lccu.evidence.timezones.item_timezone`). The archive
    limits are this machine's settings, fixed for the run; ``passwords`` (the case's list
    for encrypted archives) are sealed in the derived store (:mod:`lccu.archive.sealed`):
    never in the database, a result, a report, ``lccu status`` or custody."""
    from lccu.archive import expansion_limits
    from lccu.evidence.timezones import item_timezone, zone_key
    from lccu.scan import load_rules

    if priority not in PRIORITIES:
        raise InvalidInput(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
    if carve not in CARVE_MODES:
        raise InvalidInput(f"carve must be one of {', '.join(CARVE_MODES)}, not {carve!r}")
    evidence = lab.get_evidence(evidence_ref)
    if evidence.size is None or not evidence.storage_uri:
        raise InvalidInput(f"evidence {evidence.exhibit_number} has no stored image to process",
                           key="no_stored_image", params={"exhibit": evidence.exhibit_number})
    timezone = zone_key(timezone) if timezone else item_timezone(lab, evidence.id).zone
    paths = [p.resolve() for p in (rules if rules is not None else lab.settings.rules)] \
        if yara else []
    ruleset = load_rules(paths) if yara else None
    seg = segment_size()
    options: dict[str, Any] = {
        "rules": [str(p) for p in paths],
        "rules_identity": ruleset.identity if ruleset else None, "segment_size": seg,
        "yara": yara, "carve": carve, "timezone": timezone, "expand": expand}
    if ruleset is not None:  # equal identities mean equal engines: workers check it
        options["yara_rules"] = ruleset.report_record()
    if expand:
        options["archive_limits"] = expansion_limits().as_dict()
        if passwords:  # sealed in the derived store: the options (database) keep a reference
            options.update(_seal(lab, evidence.id, passwords))
    # the hash set versions active now: the run uses these, whatever is imported meanwhile
    options["hashsets"] = [s.ref() for s in lab.hashsets.active()]
    rows = [(stage, segment, start, end, not queue.DEPENDS[stage])
            for stage, segment, start, end in plan(evidence.size, seg, yara=yara, carve=carve,
                                                   expand=expand,
                                                   hashsets=bool(options["hashsets"]))]
    run_id = lab.queue_run(evidence.id, priority=PRIORITIES[priority],
                           options=json.dumps(options, sort_keys=True), stages=rows,
                           token_due=queue.token_due())
    return Submitted(run_id, evidence.id, sum(1 for row in rows if row[4]))


def _seal(lab: Lab, evidence_id: str, passwords: Sequence[str]) -> dict[str, str]:
    from lccu.archive.sealed import seal_passwords
    from lccu.storage import open_store

    store = open_store(lab.settings)
    try:
        return seal_passwords(store, lab.settings, str(evidence_id), passwords)
    finally:
        store.close()


def run_status(lab: Lab, run_id: str, evidence: str | None = None) -> dict[str, Any]:
    """A run and its stages as plain data (what ``lccu status --json`` prints); read
    through the access gate (:meth:`lccu.evidence.lab.Lab.run_status`)."""
    return lab.run_status(run_id, evidence=evidence)


def runs_of(lab: Lab, evidence_ref: str | None) -> list[str]:
    """Run ids, newest first: of one evidence item, or every run of the acting user's zone
    (:meth:`lccu.evidence.lab.Lab.runs_of`)."""
    return lab.runs_of(evidence_ref)
