"""Filtering the audit log for the DPO view and the API (the library filters by zone)."""

from __future__ import annotations

import json
from typing import Any

from lccu.evidence.lab import Lab


def audit_rows(lab: Lab, *, zone: str | None, username: str | None, allowed: bool | None,
               limit: int = 1000) -> list[dict[str, Any]]:
    """Entries newest first; raises AccessDenied (logged) for anyone but a dpo."""
    entries = lab.audit_log(zone=zone or None)
    rows: list[dict[str, Any]] = []
    for entry in reversed(entries):
        if username and entry.username != username:
            continue
        if allowed is not None and entry.allowed != allowed:
            continue
        rows.append({
            "seq": entry.seq, "at": entry.at, "username": entry.username, "zone": entry.zone,
            "role": entry.role, "operation": entry.operation,
            "object_type": entry.object_type, "object_id": entry.object_id,
            "case_id": entry.case_id, "case_zone": entry.case_zone, "allowed": entry.allowed,
            "justification": entry.justification,
            "detail": json.loads(entry.detail) if entry.detail else None,
        })
        if len(rows) >= limit:
            break
    return rows
