"""Comparing a worker report with the embedded ``lccu scan`` report, field by field."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select


def file_set(report: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {(f["volume"], f["path"], f["inode"], f["size"], f["allocated"], f["md5"],
             f["sha1"], f["sha256"], f["mime"], f["exported"] is not None)
            for f in report["files"]}


def carved_set(report: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {(c["offset"], c["length"], c["type"], c["md5"], c["sha1"], c["sha256"],
             c["validated"],
             json.dumps(c["duplicate_of"], sort_keys=True), c["exported"] is not None)
            for c in report["carved"]}


def yara_set(report: dict[str, Any]) -> set[tuple[Any, ...]]:
    """Hits by rule, source, offset and owner (carved hits name a temp path in lccu scan,
    so they are compared by carved offset only)."""
    return {(h["rule"], h["source"], h["offset"], h["carved_offset"],
             None if h["source"] == "carved" else json.dumps(h["file"], sort_keys=True))
            for h in report["yara"]}


def load_report(lab: Any, key: str) -> dict[str, Any]:
    from lccu.storage import open_store

    store = open_store(lab.settings)
    with store.open_derived(key) as fh:
        return dict(json.loads(fh.read()))


def processed_events(lab: Any, evidence_id: str) -> list[dict[str, Any]]:
    """Every ``processed`` custody event of an item, read straight from the table."""
    from lccu.evidence.models import CustodyEvent

    with lab.db.session() as session:
        rows = session.scalars(select(CustodyEvent).where(
            CustodyEvent.evidence_id == evidence_id, CustodyEvent.action == "processed"))
        return [{"reason": r.reason, "details": json.loads(r.details)} for r in rows]


def result_rows(lab: Any, sha256: str) -> int:
    from lccu.evidence.runstate import StageResult

    with lab.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(StageResult)
                                  .where(StageResult.evidence_sha256 == sha256)) or 0)
