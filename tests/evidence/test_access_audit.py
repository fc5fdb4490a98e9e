"""Zones see only their own and shared cases; every access, allowed or refused, is audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from lccu.errors import AccessDenied, InvalidInput, NotFound
from lccu.evidence.lab import Lab
from tests.evidence.conftest import tamper


def _entries(lab: Lab, operation: str, user: str) -> list[tuple[bool, str | None]]:
    with lab.db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT allowed, object_id FROM audit_log WHERE operation = :o AND username = :u "
            "ORDER BY seq"), {"o": operation, "u": user})
        return [(bool(r[0]), r[1]) for r in rows]


def test_other_zone_denied_and_logged(make_lab: Callable[..., Lab]) -> None:
    """PZ Polder cannot read a PZ Vlas case; the refusal is an audit entry."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Ransomware at a school")
    polder = make_lab("polder_inv")
    with pytest.raises(AccessDenied) as caught:
        polder.get_case(case.id)
    assert isinstance(caught.value, PermissionError)
    assert _entries(vlas, "case.read", "polder_inv") == [(False, case.id)]
    assert case.id not in [c.id for c in polder.list_cases()]


def test_sharing_grants_and_revoking_removes_access(make_lab: Callable[..., Lab]) -> None:
    """After sharing PZ Polder reads the case (logged with the purpose); after revoking not."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Sextortion")
    vlas.share_case(case.id, "PZ Polder", purpose="suspect lives in Polder")
    polder = make_lab("polder_an")
    assert polder.get_case(case.number).title == "Sextortion"
    assert case.id in [c.id for c in polder.list_cases()]
    with vlas.db.engine.connect() as conn:
        justification = conn.execute(text(
            "SELECT justification FROM audit_log WHERE username='polder_an' AND "
            "operation='case.read' AND allowed")).scalar_one()
    assert justification == "suspect lives in Polder"
    vlas.revoke_share(case.id, "PZ Polder", reason="done")
    with pytest.raises(AccessDenied):
        polder.get_case(case.id)


def test_expired_share_gives_no_access(make_lab: Callable[..., Lab]) -> None:
    """A grant whose validity has passed no longer opens the case."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Old grant")
    vlas.share_case(case.id, "PZ Polder", valid_until=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(AccessDenied):
        make_lab("polder_inv").get_case(case.id)


def test_read_only_share_cannot_add(make_lab: Callable[..., Lab], tmp_path: Path) -> None:
    """A read-only grant allows reading but not adding evidence or events."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Read only")
    vlas.share_case(case.id, "PZ Polder", permission="read")
    polder = make_lab("polder_inv")
    polder.get_case(case.id)
    with pytest.raises(AccessDenied, match="read-only"):
        polder.record_event(case.id, "note", reason="x")
    assert len(vlas.custody_log(case.id)) == 2  # opened, shared


def test_only_owning_zone_shares(make_lab: Callable[..., Lab]) -> None:
    """A zone a case was shared with cannot pass it on to a third zone."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("No resharing")
    vlas.share_case(case.id, "PZ Polder")
    with pytest.raises(AccessDenied):
        make_lab("polder_inv").share_case(case.id, "PZ RIHO")


def test_case_for_another_zone_refused(make_lab: Callable[..., Lab]) -> None:
    """An investigator cannot open a case in the name of another zone."""
    with pytest.raises(AccessDenied):
        make_lab("vlas_inv").create_case("Not mine", zone="PZ Polder")


def test_dpo_reads_all_zones_others_do_not(make_lab: Callable[..., Lab]) -> None:
    """The DPO sees entries of every zone (filterable); an investigator is refused and logged."""
    make_lab("vlas_inv").create_case("A")
    make_lab("polder_inv").create_case("B")
    dpo = make_lab("dpo")
    zones = {e.case_zone for e in dpo.audit_log() if e.case_zone}
    assert {"PZ Vlas", "PZ Polder"} <= zones
    assert {e.case_zone or e.zone for e in dpo.audit_log(zone="PZ Polder")} == {"PZ Polder"}
    investigator = make_lab("vlas_inv")
    with pytest.raises(AccessDenied):
        investigator.audit_log()
    assert _entries(dpo, "audit.read", "vlas_inv") == [(False, None)]
    with pytest.raises(AccessDenied):
        dpo.get_case(make_lab("vlas_inv").list_cases()[0].id)


def test_every_access_is_logged(make_lab: Callable[..., Lab], tmp_path: Path) -> None:
    """Create, add, read, list, log and export each leave an allowed audit entry."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Audit me")
    image = tmp_path / "i.bin"
    image.write_bytes(b"x" * 4096)
    item = lab.add_evidence(case.id, image, description="d")
    lab.get_case(case.id)
    lab.get_evidence(item.id)
    lab.list_evidence(case.id)
    lab.custody_log(case.id)
    lab.export_custody(case.id, tmp_path / "c.jsonl")
    with lab.db.engine.connect() as conn:
        ops = {r[0] for r in conn.execute(text(
            "SELECT operation FROM audit_log WHERE username='vlas_inv' AND allowed"))}
    assert {"case.create", "evidence.add", "case.read", "evidence.read", "evidence.list",
            "custody.read", "custody.export"} <= ops


def test_unknown_case_and_user(make_lab: Callable[..., Lab], lab_settings: object) -> None:
    """Unknown case, item and user raise NotFound (a LookupError) and are logged."""
    from lccu.evidence.lab import open_lab

    lab = make_lab("vlas_inv")
    with pytest.raises(NotFound):
        lab.get_case("LCCU-1999-99999")
    with pytest.raises(NotFound):
        lab.get_evidence("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFound):
        open_lab("mallory", settings=lab_settings)  # type: ignore[arg-type]
    assert _entries(lab, "login", "mallory") == [(False, None)]


def test_admin_is_for_admins_and_zone_operators(make_lab: Callable[..., Lab]) -> None:
    """Once the unit is bootstrapped only the unit admin adds zones; users are added by the
    admin or by an operator of their own zone."""
    with pytest.raises(AccessDenied):
        make_lab("vlas_inv").add_user("eve", "PZ Vlas", "investigator")
    with pytest.raises(AccessDenied):
        make_lab().add_zone("PZ Antwerpen")  # bootstrap identity, users exist
    with pytest.raises(AccessDenied, match="only a unit admin"):
        make_lab("op").add_zone("PZ Antwerpen")
    assert make_lab("admin").add_zone("PZ Antwerpen") == "PZ Antwerpen"
    assert make_lab("op").add_user("vlas_two", "PZ Vlas", "analyst").zone == "PZ Vlas"
    with pytest.raises(InvalidInput):
        make_lab("op").add_user("../etc", "PZ Vlas", "analyst")


def test_audit_chain_detects_deleted_entry(make_lab: Callable[..., Lab]) -> None:
    """Deleting an audit entry (triggers dropped first) is found by the audit verification."""
    dpo = make_lab("dpo")
    make_lab("vlas_inv").create_case("C")
    assert dpo.verify_audit() == []
    tamper(dpo, "DELETE FROM audit_log WHERE seq = 3")
    problems = dpo.verify_audit()
    assert any("entry 3 is missing" in p for p in problems)


def test_private_key_permissions(make_lab: Callable[..., Lab]) -> None:
    """Signing keys are 0600 files outside the database; a group-readable key is refused."""
    from lccu.errors import KeyStoreError

    lab = make_lab("vlas_inv")
    key_file = lab.settings.key_dir / "vlas_inv.ed25519.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key_file.chmod(0o640)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        lab.create_case("should not be opened")


def test_operator_processing_path(make_lab: Callable[..., Lab], tmp_path: Path) -> None:
    """An operator (the workers' identity) may read any zone's evidence and record
    `processed` for it, audited as processing, but may not list or browse the case."""
    polder = make_lab("polder_inv")
    case = polder.create_case("Processed elsewhere")
    image = tmp_path / "p.bin"
    image.write_bytes(b"p" * 8192)
    item = polder.add_evidence(case.id, image, description="d")
    op = make_lab("op")
    assert op.get_evidence(item.id, processing=True).sha256 == item.sha256
    head = op.record_event(case.id, "processed", evidence=item.id, processing=True,
                           details={"stage": "hash"})
    assert head["seq"] == 3
    with pytest.raises(InvalidInput):
        op.record_event(case.id, "transferred", evidence=item.id, processing=True)
    with pytest.raises(AccessDenied):
        op.get_case(case.id)
    assert case.id not in [c.id for c in op.list_cases()]
    assert polder.verify_custody(case.id).ok


def test_export_records_recipient(make_lab: Callable[..., Lab], tmp_path: Path) -> None:
    """A custody export names its recipient in the audit entry and the custody event."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Disclosure")
    lab.export_custody(case.id, tmp_path / "c.jsonl", recipient="Rechtbank Brugge")
    assert lab.custody_log(case.id)[-1]["details"]["recipient"] == "Rechtbank Brugge"
    with lab.db.engine.connect() as conn:
        justification = conn.execute(text(
            "SELECT justification FROM audit_log WHERE operation='custody.export'")).scalar_one()
    assert justification == "Rechtbank Brugge"


def test_idempotent_processed_event(make_lab: Callable[..., Lab], tmp_path: Path) -> None:
    """record_event(once=True) with the same reason appends one event, however often."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Once")
    image = tmp_path / "o.bin"
    image.write_bytes(b"o" * 4096)
    item = lab.add_evidence(case.id, image, description="d")
    op = make_lab("op")
    first = op.record_event(case.id, "processed", evidence=item.id, reason="run 1 stage hash",
                            processing=True, once=True)
    again = op.record_event(case.id, "processed", evidence=item.id, reason="run 1 stage hash",
                            processing=True, once=True)
    other = op.record_event(case.id, "processed", evidence=item.id, reason="run 1 stage files",
                            processing=True, once=True)
    assert again["seq"] == first["seq"] and other["seq"] == first["seq"] + 1
    assert [e["action"] for e in lab.custody_log(case.id)].count("processed") == 2
    assert lab.verify_custody(case.id).ok
