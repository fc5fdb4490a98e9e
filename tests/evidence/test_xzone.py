"""Cross-zone hit/no-hit (issue 18), tested as the adversary: an investigator of PZ Polder
tries to learn more about PZ Vlas's cases than "hit: also present in a case of PZ Vlas",
and every question shows in the audit log of both zones."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lccu.errors import AccessDenied, InvalidInput, NotFound
from lccu.evidence import xzone
from lccu.evidence.lab import Lab


def sha(word: str) -> str:
    return hashlib.sha256(word.encode()).hexdigest()


#: in both zones' cases; only in Vlas's; only in Polder's
SHARED, VLAS_ONLY, POLDER_ONLY = sha("shared"), sha("vlas only"), sha("polder only")


@dataclass
class Zones:
    vlas_case: str
    vlas_number: str
    vlas_item: str
    polder_case: str
    polder_item: str


def _case(lab: Lab, title: str, tmp: Path, exhibit: str) -> tuple[str, str, str]:
    case = lab.create_case(title)
    disk = tmp / f"{exhibit}.img"
    disk.write_bytes(exhibit.encode() * 512)
    item = lab.add_evidence(case.id, disk, description="stick", exhibit_number=exhibit)
    return case.id, case.number, item.id


@pytest.fixture
def zones(make_lab: Callable[..., Lab], tmp_path: Path) -> Zones:
    return offer_zones(make_lab, tmp_path)


def offer_zones(make_lab: Callable[..., Lab], tmp_path: Path) -> Zones:
    """Both zones enabled; Vlas offers SHARED and VLAS_ONLY, Polder SHARED and POLDER_ONLY
    (as the workers do when a report has notable files)."""
    vlas_case, vlas_number, vlas_item = _case(
        make_lab("vlas_inv"), "Secret operation Tulip", tmp_path, "VLAS-EXH-7"
    )
    polder_case, _number, polder_item = _case(make_lab("polder_inv"), "Fraud", tmp_path, "P1")
    admin = make_lab("admin")
    admin.xzone_enable("PZ Vlas", legal_basis="WPA art. 44/11/3; DPO advice 2026-12")
    admin.xzone_enable("PZ Polder", legal_basis="WPA art. 44/11/3; DPO advice 2026-12")
    worker = make_lab("op")
    worker.xzone_offer(vlas_case, vlas_item, "run-vlas", [SHARED, VLAS_ONLY], processing=True)
    worker.xzone_offer(
        polder_case, polder_item, "run-polder", [SHARED, POLDER_ONLY], processing=True
    )
    return Zones(vlas_case, vlas_number, vlas_item, polder_case, polder_item)


def audit(make_lab: Callable[..., Lab], zone: str) -> list[dict[str, object]]:
    return [
        {
            "op": e.operation,
            "allowed": e.allowed,
            "case": e.case_id,
            "user": e.username,
            "detail": e.detail,
        }
        for e in make_lab("dpo").audit_log(zone=zone)
        if e.operation.startswith("xzone.")
    ]


def test_a_hit_says_only_which_zone(make_lab: Callable[..., Lab], zones: Zones) -> None:
    """A hit carries the SHA-256, hit and the zone name: field by field, and no trace of the
    other zone's case number, title, ids, exhibit or run; a file nobody else has: no hit."""
    polder = make_lab("polder_inv")
    hit = polder.xzone_lookup(zones.polder_case, SHARED)
    assert hit.as_dict() == {"sha256": SHARED, "hit": True, "zones": ["PZ Vlas"]}
    assert set(vars(hit)) == {"sha256", "hit", "zones"}
    text = json.dumps(hit.as_dict())
    for secret in (
        zones.vlas_case,
        zones.vlas_number,
        zones.vlas_item,
        "Tulip",
        "VLAS-EXH-7",
        "run-vlas",
        "vlas_inv",
    ):
        assert secret not in text
    assert polder.xzone_lookup(zones.polder_case, POLDER_ONLY).as_dict() == {
        "sha256": POLDER_ONLY,
        "hit": False,
        "zones": [],
    }
    hits = polder.xzone_hits(zones.polder_item)
    assert [h.as_dict() for h in hits] == [
        {"sha256": SHARED, "hit": True, "zones": ["PZ Vlas"]},
        {"sha256": POLDER_ONLY, "hit": False, "zones": []},
    ]
    # both zones' DPOs see the questions: Polder's under its case, Vlas's under its own
    polder_side = audit(make_lab, "PZ Polder")
    assert [e["op"] for e in polder_side if e["case"] == zones.polder_case] == [
        "xzone.offer",
        "xzone.lookup",
        "xzone.lookup",
        "xzone.hits",
    ]
    vlas_side = [
        e
        for e in audit(make_lab, "PZ Vlas")
        if e["case"] == zones.vlas_case and e["op"] != "xzone.offer"
    ]
    assert [(e["op"], e["user"]) for e in vlas_side] == [
        ("xzone.hit", "polder_inv"),
        ("xzone.hit", "polder_inv"),
    ]
    assert all(SHARED in str(e["detail"]) and "PZ Polder" in str(e["detail"]) for e in vlas_side)


def test_no_probing_with_chosen_hashes(make_lab: Callable[..., Lab], zones: Zones) -> None:
    """Polder cannot ask about a hash that is not one of its own notable or marked files
    (Vlas's file, a made-up one), nor ask in Vlas's case or as another role; each attempt
    is refused and audited, and Vlas's DPO sees no question about its case."""
    polder = make_lab("polder_inv")
    for digest in (VLAS_ONLY, sha("made up")):
        with pytest.raises(AccessDenied, match="not a notable or marked file"):
            polder.xzone_lookup(zones.polder_case, digest)
    with pytest.raises(AccessDenied, match=r"^no case "):  # as for a case that is not there
        polder.xzone_lookup(zones.vlas_case, VLAS_ONLY)
    with pytest.raises(AccessDenied):
        polder.xzone_hits(zones.vlas_item)
    for user in ("dpo", "admin"):
        with pytest.raises(AccessDenied):
            make_lab(user).xzone_lookup(zones.polder_case, SHARED)
    with pytest.raises(InvalidInput):
        polder.xzone_lookup(zones.polder_case, "not a hash")
    refused = [e for e in audit(make_lab, "PZ Polder") if not e["allowed"]]
    assert len(refused) >= 4
    assert not [e for e in audit(make_lab, "PZ Vlas") if e["op"] == "xzone.hit"]


def test_disabled_zones_neither_send_nor_receive(
    make_lab: Callable[..., Lab], zones: Zones
) -> None:
    """A zone not enabled is never found, and cannot ask; enabling needs a unit admin and
    a legal basis, both recorded."""
    admin = make_lab("admin")
    polder = make_lab("polder_inv")
    admin.xzone_disable("PZ Vlas", reason="DPO withdrew the advice")
    assert polder.xzone_lookup(zones.polder_case, SHARED).hit is False
    admin.xzone_enable("PZ Vlas", legal_basis="new advice")
    assert polder.xzone_lookup(zones.polder_case, SHARED).hit is True
    admin.xzone_disable("PZ Polder", reason="pause")
    with pytest.raises(AccessDenied, match="not enabled for PZ Polder"):
        polder.xzone_lookup(zones.polder_case, SHARED)
    with pytest.raises(AccessDenied, match="not enabled"):
        polder.xzone_request(zones.polder_case, SHARED, zone="PZ Vlas", purpose="why")
    with pytest.raises(AccessDenied, match="only a unit admin"):
        make_lab("vlas_inv").xzone_enable("PZ Vlas", legal_basis="I say so")
    with pytest.raises(InvalidInput, match="legal basis"):
        admin.xzone_enable("PZ Polder", legal_basis="  ")
    shown = {z.zone: z for z in make_lab("dpo").xzone_zones()}
    assert shown["PZ Vlas"].enabled and shown["PZ Vlas"].legal_basis == "new advice"
    assert not shown["PZ Polder"].enabled and not shown["PZ Westkust"].enabled


def test_a_case_shared_with_the_asker_is_no_cross_zone_hit(
    make_lab: Callable[..., Lab], zones: Zones
) -> None:
    """Polder sees a case Vlas shared with it directly: hit/no-hit does not report it, and
    Polder cannot ask about that case's files (only the owning zone asks)."""
    vlas = make_lab("vlas_inv")
    vlas.share_case(zones.vlas_case, "PZ Polder", purpose="joint investigation")
    polder = make_lab("polder_inv")
    assert polder.xzone_lookup(zones.polder_case, SHARED).hit is False
    with pytest.raises(AccessDenied, match="only PZ Vlas"):
        polder.xzone_lookup(zones.vlas_case, VLAS_ONLY)


def test_questions_are_bounded_per_day(
    make_lab: Callable[..., Lab], zones: Zones, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the daily bound every question is refused (and audited)."""
    monkeypatch.setattr(xzone, "DAILY_LOOKUPS", 2)
    polder = make_lab("polder_inv")
    polder.xzone_lookup(zones.polder_case, SHARED)
    polder.xzone_hits(zones.polder_item)
    with pytest.raises(AccessDenied, match="2 cross-zone questions in 24 hours"):
        polder.xzone_lookup(zones.polder_case, SHARED)
    assert not audit(make_lab, "PZ Polder")[-1]["allowed"]


def test_request_and_grant(make_lab: Callable[..., Lab], zones: Zones) -> None:
    """Polder asks Vlas with a purpose; nothing is disclosed while pending; neither Polder
    nor a third zone can decide it; Vlas grants and Polder learns the case number and the
    contact, nothing else; both DPOs see request and disclosure."""
    make_lab("admin").add_user("west_inv", "PZ Westkust", "investigator")
    polder = make_lab("polder_inv")
    with pytest.raises(AccessDenied, match="no hit"):
        polder.xzone_request(zones.polder_case, POLDER_ONLY, zone="PZ Vlas", purpose="p")
    with pytest.raises(AccessDenied, match="no hit"):
        polder.xzone_request(zones.polder_case, SHARED, zone="PZ Westkust", purpose="p")
    sent = polder.xzone_request(
        zones.polder_case, SHARED, zone="PZ Vlas", purpose="same victim? PV 2026/123"
    )
    assert sent.state == "pending" and sent.case_number is None and sent.contact is None
    assert set(sent.as_dict()) == {
        "id",
        "sha256",
        "from_zone",
        "to_zone",
        "purpose",
        "requested_by",
        "requested_at",
        "state",
        "from_case",
    }
    for user in ("polder_inv", "west_inv"):
        with pytest.raises(NotFound):
            make_lab(user).xzone_grant(sent.id)
    with pytest.raises(NotFound):
        make_lab("west_inv").xzone_request_show(sent.id)
    vlas = make_lab("vlas_inv")
    incoming = vlas.xzone_requests()
    assert [(r.id, r.holding_cases, r.purpose) for r in incoming] == [
        (sent.id, [zones.vlas_number], "same victim? PV 2026/123")
    ]
    granted = vlas.xzone_grant(sent.id, contact="Insp. Peeters, +32 50 00 00 00")
    assert granted.state == "granted"
    seen = polder.xzone_request_show(sent.id)
    assert seen.as_dict() == {
        **sent.as_dict(),
        "state": "granted",
        "decided_by": "vlas_inv",
        "decided_at": granted.decided_at,
        "case_number": zones.vlas_number,
        "contact": "Insp. Peeters, +32 50 00 00 00",
    }
    assert "Tulip" not in json.dumps(seen.as_dict()) and zones.vlas_case not in str(seen)
    with pytest.raises(InvalidInput, match="already granted"):
        vlas.xzone_refuse(sent.id)
    polder_ops = {e["op"] for e in audit(make_lab, "PZ Polder")}
    vlas_ops = {e["op"] for e in audit(make_lab, "PZ Vlas")}
    assert {"xzone.request", "xzone.disclosed"} <= polder_ops
    assert {"xzone.requested", "xzone.grant"} <= vlas_ops


def test_a_refused_request_discloses_nothing(make_lab: Callable[..., Lab], zones: Zones) -> None:
    """A refusal leaves Polder with the state only: no case number, contact or reason."""
    polder = make_lab("polder_inv")
    sent = polder.xzone_request(zones.polder_case, SHARED, zone="PZ Vlas", purpose="curious")
    refused = make_lab("vlas_inv").xzone_refuse(sent.id, reason="operation Tulip running")
    assert refused.reason == "operation Tulip running"
    seen = polder.xzone_request_show(sent.id).as_dict()
    assert seen["state"] == "refused"
    assert not {"case_number", "contact", "reason", "holding_cases"} & set(seen)
    assert "Tulip" not in json.dumps(seen)
    assert [r.state for r in polder.xzone_requests()] == ["refused"]
    polder_side = [e for e in audit(make_lab, "PZ Polder") if e["op"] == "xzone.refused"]
    assert len(polder_side) == 1
