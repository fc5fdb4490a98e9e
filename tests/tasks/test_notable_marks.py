"""The unit's notable set grows from cases (issue 18): an investigator marks a file of a
processed item as notable, a unit admin approves (its hashes join the set as a new version)
or rejects; other zones and other roles cannot; every step is audited; the next run marks
the file notable, lists it first in the HTML report and the file browser, and the marked
file is correlated across zones."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from lccu.errors import AccessDenied, InvalidInput, NotFound
from lccu.storage import open_store
from lccu.tasks import drain, run_status, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit
from tests.tasks.helpers import load_report


def process(unit: Unit, user: str, evidence: str) -> dict[str, Any]:
    lab = unit.lab(user)
    run = submit(lab, evidence, rules=[unit.rules], yara=False)
    drain(lab, open_store(lab.settings))
    status = run_status(lab, run.run_id)
    assert status["state"] == "done", status
    return status


def audited(unit: Unit) -> list[tuple[str, bool]]:
    return [
        (e.operation, e.allowed)
        for e in unit.lab("dpo").audit_log()
        if e.operation.startswith("notable.")
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_marked_files_join_the_unit_set_after_approval(
    unit: Unit, planted_disk: PlantedManifest
) -> None:
    listed = [f for f in planted_disk.files if f.path is not None and not f.deleted]
    first, second, third = listed[0], listed[1], listed[2]
    vlas_item = unit.add_image("vlas_inv", planted_disk.image, "V1")
    process(unit, "vlas_inv", vlas_item)
    vlas = unit.lab("vlas_inv")
    mark = vlas.mark_notable(
        vlas_item, str(first.path), category="fraud kit", reason="phishing kit of case 2026/77"
    )
    assert (mark.state, mark.path, mark.sha256) == ("proposed", first.path, first.sha256)
    assert (mark.md5, mark.sha1) == (first.md5, first.sha1)
    by_hash = vlas.mark_notable(vlas_item, second.sha256, category="malware", reason="RAT")
    rejected = vlas.mark_notable(vlas_item, str(third.path), category="malware", reason="?")
    for bad in ({"category": "<b>", "reason": "x"}, {"category": "x", "reason": " "}):
        with pytest.raises(InvalidInput):
            vlas.mark_notable(vlas_item, str(first.path), **bad)
    with pytest.raises(NotFound):
        vlas.mark_notable(vlas_item, "/no/such/file", category="x", reason="y")

    # another zone cannot mark Vlas's files nor see the marks; only the admin decides
    polder = unit.lab("polder_inv")
    with pytest.raises(AccessDenied):
        polder.mark_notable(vlas_item, str(first.path), category="x", reason="y")
    with pytest.raises(AccessDenied):
        polder.notable_marks(vlas_item)
    for user in ("vlas_inv", "polder_inv", "op", "dpo"):
        with pytest.raises(AccessDenied):
            unit.lab(user).approve_mark(mark.id)
        with pytest.raises(AccessDenied):
            unit.lab(user).notable_marks()
    # the admin's view: hashes, category, reason, who; no case, item or path
    admin = unit.lab("admin")
    pending = admin.notable_marks(state="proposed")
    assert [m.id for m in pending] == [mark.id, by_hash.id, rejected.id]
    assert all(
        m.path is None and m.case_id is None and m.exhibit_number is None and m.file is None
        for m in pending
    )
    assert str(first.path) not in str([m.as_dict() for m in pending])

    approved = admin.approve_mark(mark.id)
    assert (approved.state, approved.set_name, approved.set_version) == (
        "approved",
        "unit notable",
        1,
    )
    v1 = admin.hashset_show("unit notable")
    assert (v1.version, v1.kind, v1.entries, v1.hashes) == (1, "notable", 1, 3)
    assert v1.hash_types == ["md5", "sha1", "sha256"] and v1.categories == ["fraud kit"]
    assert admin.approve_mark(by_hash.id).set_version == 2
    v2 = admin.hashset_show("unit notable")
    assert (v2.entries, v2.hashes, v2.categories) == (2, 6, ["fraud kit", "malware"])
    assert admin.hashset_show("unit notable", 1).hashes == 3  # version 1 unchanged
    assert admin.reject_mark(rejected.id, reason="operating system file").state == "rejected"
    with pytest.raises(InvalidInput, match="already approved"):
        admin.approve_mark(mark.id)
    assert admin.hashset_show("unit notable").version == 2
    assert [m.state for m in vlas.notable_marks(vlas_item)] == ["approved", "approved", "rejected"]
    ops = audited(unit)
    assert ops.count(("notable.mark", True)) == 3
    assert ("notable.mark", False) in ops  # Polder's attempt and the missing file
    assert ops.count(("notable.approve", True)) == 2
    assert ops.count(("notable.approve", False)) >= 4
    assert ("notable.reject", True) in ops

    # Polder processes the same stick: both approved files are notable, listed first
    for zone in ("PZ Vlas", "PZ Polder"):
        admin.xzone_enable(zone, legal_basis="WPA art. 44/11/3")
    polder_item = unit.add_image("polder_inv", planted_disk.image, "P1")
    status = process(unit, "polder_inv", polder_item)
    report = load_report(polder, status["report"])
    notable = {
        f["path"] for f in report["files"] if any(h["kind"] == "notable" for h in f["hashsets"])
    }
    assert notable == {first.path, second.path}
    hit = next(f for f in report["files"] if f["path"] == first.path)["hashsets"]
    assert hit == [
        {"name": "unit notable", "version": 2, "kind": "notable", "category": "fraud kit"}
    ]
    html = load_html(polder, status["report"])
    table = html[html.index('<table id="hashset-hits">') :]
    table = table[: table.index("</table>")]
    assert re.findall(r'<tr class="(notable|known)">', table)[:2] == ["notable", "notable"]
    page = polder.file_page(polder_item)
    assert {f.path for f in page.files[:2]} == {first.path, second.path}
    assert all(f.hashset != "notable" for f in page.files[2:])
    # and the marked files are correlated: Polder's notable files hit in PZ Vlas
    hits = {h.sha256: h.zones for h in polder.xzone_hits(polder_item) if h.hit}
    assert hits == {first.sha256: ["PZ Vlas"], second.sha256: ["PZ Vlas"]}


def load_html(lab: Any, json_key: str) -> str:
    store = open_store(lab.settings)
    with store.open_derived(json_key.removesuffix(".json") + ".html") as fh:
        return str(fh.read().decode())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_rejected_mark_stays_registered_and_out_of_the_set(
    unit: Unit, planted_disk: PlantedManifest
) -> None:
    """Rejecting a mark makes no set version and puts none of its hashes in the unit's set
    (the next approval's version holds only the approved file's); the mark stays listed, as
    rejected with who and why, for the unit admin and the case's readers; its audit entry
    carries the facts an approval's does (all three hashes, category, proposer) and the
    reason, so the chain alone says what was kept out."""
    listed = [f for f in planted_disk.files if f.path is not None and not f.deleted]
    kept, dropped = listed[0], listed[1]
    item = unit.add_image("vlas_inv", planted_disk.image, "V1")
    process(unit, "vlas_inv", item)
    vlas = unit.lab("vlas_inv")
    good = vlas.mark_notable(item, str(kept.path), category="malware", reason="dropper")
    bad = vlas.mark_notable(item, str(dropped.path), category="malware", reason="looks odd")
    admin = unit.lab("admin")
    before = admin.hashset_register()
    assert admin.reject_mark(bad.id, reason="operating system file").state == "rejected"
    assert admin.hashset_register() == before  # no new version, no set made
    assert admin.approve_mark(good.id).set_version == 1
    active = admin.hashset_show("unit notable")
    assert (active.version, active.entries, active.hashes) == (1, 1, 3)
    digests = {bytes.fromhex(h) for h in (dropped.md5, dropped.sha1, dropped.sha256)}
    assert admin.hashsets.lookup(active.ref(), digests) == {}
    own = {bytes.fromhex(h) for h in (kept.md5, kept.sha1, kept.sha256)}
    assert set(admin.hashsets.lookup(active.ref(), own)) == own

    rejected = admin.notable_marks(state="rejected")
    assert [(m.id, m.sha256, m.decided_by, m.decision_reason) for m in rejected] == [
        (bad.id, dropped.sha256, "admin", "operating system file")
    ]
    assert {m.id: m.state for m in vlas.notable_marks(item)} == {
        good.id: "approved",
        bad.id: "rejected",
    }
    entry = next(
        e for e in unit.lab("dpo").audit_log() if e.operation == "notable.reject" and e.allowed
    )
    assert entry.object_id == bad.id and entry.justification == "operating system file"
    detail = json.loads(entry.detail) if isinstance(entry.detail, str) else entry.detail
    assert {k: detail.get(k) for k in ("sha256", "md5", "sha1", "category", "proposed_by")} == {
        "sha256": dropped.sha256,
        "md5": dropped.md5,
        "sha1": dropped.sha1,
        "category": "malware",
        "proposed_by": "vlas_inv",
    }
