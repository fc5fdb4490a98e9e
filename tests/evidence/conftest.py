"""Helpers for the custody tests: a case with a few events, and raw database tampering."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lccu.evidence.lab import Lab

APPEND_ONLY = ("custody_events", "audit_log", "custody_countersignatures")


def drop_append_only_guards(lab: Lab) -> None:
    """What an attacker with database-owner rights does first: remove the triggers."""
    with lab.db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for table in APPEND_ONLY:
                for verb in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
        else:
            for table in APPEND_ONLY:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))


def tamper(lab: Lab, *statements: str, **params: Any) -> None:
    drop_append_only_guards(lab)
    with lab.db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), params)


@pytest.fixture
def image_file(tmp_path: Path) -> Path:
    path = tmp_path / "exhibit.dd"
    path.write_bytes(os.urandom(256 * 1024))
    return path


@pytest.fixture
def busy_case(make_lab: Callable[..., Lab], image_file: Path) -> tuple[Lab, str]:
    """A case with six custody events: opened, intake, transfer, processed, note, verified."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Phishing wave", reference="PV 2026/0042")
    item = lab.add_evidence(case.id, image_file, description="laptop disk image",
                            seal_number="S-1001")
    lab.record_event(case.id, "transferred", evidence=item.id, location="LCCU locker 3",
                     reason="handed to LCCU")
    lab.record_event(case.id, "processed", evidence=item.id, details={"stage": "hash"})
    lab.record_event(case.id, "note", reason="magistrate informed")
    lab.verify_evidence(item.id)
    return lab, case.id
