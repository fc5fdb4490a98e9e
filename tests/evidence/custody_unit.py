"""A small unit with one case and a valid custody export, shared by the custody tests that
need it once per module (building it costs a few seconds, reading it nothing)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from lccu.config import load_settings
from lccu.evidence.lab import Lab, open_lab
from lccu.testing.keys import KEY_ENV


@dataclass
class UnitExport:
    """A unit (its home and labs by user), a case's export file, its lines and head."""

    home: Path
    labs: dict[str, Lab]
    case_id: str
    item_id: str
    path: Path
    lines: list[str]
    head: str
    #: the verifier option naming the unit's public key (empty before unit keys exist)
    unit_key_option: tuple[str, ...] = field(default_factory=tuple)


def build_export(root: Path) -> Iterator[UnitExport]:
    """Bootstrap a unit on SQLite under ``root``, record a case with a hand-over and export
    it; close the labs afterwards."""
    env = {
        "LCCU_HOME": str(root / "home"),
        "LCCU_DATABASE_URL": f"sqlite:///{root / 'lccu.sqlite3'}",
        **KEY_ENV,
    }
    settings = load_settings(env)
    labs: dict[str, Lab] = {}
    boot = open_lab(None, settings=settings)
    try:
        boot.add_zone("PZ Vlas")
        boot.add_zone("PZ Polder")
        boot.add_user("admin", "PZ Vlas", "admin")
        labs["admin"] = open_lab("admin", settings=settings)
        labs["admin"].add_user("op", "PZ Vlas", "operator")
        labs["admin"].add_user("vlas_inv", "PZ Vlas", "investigator")
        labs["admin"].add_user("jan", "PZ Vlas", "investigator")
        labs["op"] = open_lab("op", settings=settings)
        for name in ("vlas_inv", "jan"):
            labs[name] = open_lab(name, settings=settings)
        lab = labs["vlas_inv"]
        case = lab.create_case("Phishing wave", reference="PV 2026/0042")
        image = root / "exhibit.dd"
        image.write_bytes(os.urandom(64 * 1024))
        item = lab.add_evidence(
            case.id, image, description="laptop disk image", seal_number="S-1001"
        )
        lab.transfer(
            case.id,
            item.id,
            received_by="jan",
            to_location="LCCU locker 3",
            reason="handed to LCCU",
        )
        labs["jan"].countersign(case.id, 3)
        lab.record_event(case.id, "note", reason="magistrate informed")
        path = root / "custody.jsonl"
        lab.export_custody(case.id, path)
        head = lab.get_case(case.id).head_hash
        yield UnitExport(
            root / "home",
            labs,
            case.id,
            item.id,
            path,
            path.read_text().splitlines(),
            head,
            ("--unit-key", labs["op"].unit_key()),
        )
    finally:
        boot.close()
        for opened in labs.values():
            opened.close()


def forged_event(
    previous: dict[str, Any], actor: str, key_id: str, sign: Callable[[bytes], str], **changes: Any
) -> dict[str, Any]:
    """The event an insider would append after ``previous``: next seq, linked, hashed and
    signed by ``sign`` (a real user's key or an invented one)."""
    from lccu.evidence.chain import compute_event_hash

    event = {name: previous[name] for name in previous if name not in ("signature",)}
    event.update(
        {
            "seq": previous["seq"] + 1,
            "prev_hash": previous["event_hash"],
            "actor": actor,
            "key_id": key_id,
            "action": "note",
            "reason": "nothing to see",
            "evidence_id": None,
            "location": None,
            "details": {},
            "observed_hashes": {},
        },
        **changes,
    )
    event["event_hash"] = compute_event_hash(event)
    event["signature"] = sign(bytes.fromhex(event["event_hash"]))
    return event


def last_event(lines: list[str]) -> dict[str, Any]:
    return [r for r in map(json.loads, lines) if r["type"] == "event"][-1]


SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "verify_custody_export.py"


def load_standalone() -> ModuleType:
    """The standalone verifier as a module, to call its ``main(argv)`` in-process."""
    spec = importlib.util.spec_from_file_location("verify_custody_export", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STANDALONE = load_standalone()


def lccu_verify(path: Path, *extra: str) -> tuple[int, str]:
    """``lccu custody verify --file PATH ...``: exit code and everything it printed."""
    from click.testing import CliRunner

    from lccu.cli.main import cli

    result = CliRunner().invoke(
        cli, ["custody", "verify", "--file", str(path), *extra], env={"LCCU_DEBUG": "0"}
    )
    return result.exit_code, result.output


def standalone_verify(path: Path, *extra: str) -> tuple[int, str]:
    """The standalone verifier's exit status and output for ``path``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = int(STANDALONE.main([str(path), *extra]))
    return code, out.getvalue()


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path
