"""The files of a whole case for analysts' scripts and the case's file browser (issue 20):
``lab.files(case=...)`` and ``lab.case_file_page`` list every file of every processed item
of the case, filtered and sorted across the items, through the gate on the case; another
zone is refused (audited once) until the case is shared with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lccu.errors import AccessDenied, InvalidInput, NotFound
from lccu.evidence.lab_files import FileFilter
from lccu.storage import open_store
from lccu.tasks import drain, submit
from lccu.testing.images import PlantedManifest, build_mbr_fat32_ext4
from tests.tasks.conftest import Unit


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_case_files_across_two_items(
    unit: Unit, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """Two processed disks (same paths, other bytes) and one never processed: the case's
    filters find each disk's files by the manifests' hashes, an exhibit filter narrows to
    one disk, a tag marks only its own item's file, pages sorted by size across the items
    are the items' own lists merged, and another zone is refused until the case is
    shared."""
    second = build_mbr_fat32_ext4(tmp_path / "second.img", seed=2)
    first_id = unit.add_image("vlas_inv", planted_disk.image, "E1")
    second_id = unit.add_image("vlas_inv", second.image, "E2")
    unit.add_image("vlas_inv", second.image, "E3")  # never processed
    case = unit.cases["vlas_inv"]
    lab = unit.lab("vlas_inv")
    for item in (first_id, second_id):
        submit(lab, item, rules=[unit.rules])
    drain(lab, open_store(lab.settings))

    one = {p.path: p for p in planted_disk.files if p.path}
    two = {p.path: p for p in second.files if p.path}
    assert one["/docs/report.txt"].sha256 != two["/docs/report.txt"].sha256
    listed = list(lab.files(case=case, source="file"))
    by_item = {(f.evidence_id, f.path): f for f in listed}
    for path in ("/docs/report.txt", "/dir/picture.png", "/notes.txt"):
        assert by_item[(first_id, path)].sha256 == one[path].sha256
        assert by_item[(second_id, path)].sha256 == two[path].sha256
    deleted = {(f.evidence_id, f.path) for f in lab.files(case=case, deleted=True, source="file")}
    assert {(first_id, "/gone.txt"), (second_id, "/gone.txt")} <= deleted
    assert (first_id, "/docs/report.txt") not in deleted
    found = [f.evidence_id for f in lab.files(case=case, sha256=two["/notes.txt"].sha256)]
    assert found == [second_id]
    only_two = {f.evidence_id for f in lab.files(case=case, exhibit="E2", mime="image/")}
    assert only_two == {second_id}

    lab.tag_file(first_id, "/docs/report.txt", label="relevant", note="the plan")
    tagged = [(f.evidence_id, f.path, f.tags) for f in lab.files(case=case, tagged=True)]
    assert tagged == [(first_id, "/docs/report.txt", ("relevant",))]
    untagged = {(f.evidence_id, f.path) for f in lab.files(case=case, tagged=False)}
    assert (second_id, "/docs/report.txt") in untagged
    assert (first_id, "/docs/report.txt") not in untagged

    page = lab.case_file_page(case, FileFilter(source="file"), limit=5)
    assert page.unprocessed == ["E3"] and set(page.runs) == {first_id, second_id}
    assert page.exhibits[first_id] == "E1" and page.total == len(listed)
    expected = sorted(listed, key=lambda f: (-(f.size or 0), f.id))
    merged = []
    for offset in range(0, len(listed), 7):  # pages of 7 sorted by size across both items
        merged += lab.case_file_page(
            case, FileFilter(source="file"), sort="size", descending=True, offset=offset, limit=7
        ).files
    assert [f.id for f in merged] == [f.id for f in expected]
    assert {f.evidence_id for f in merged[:10]} == {first_id, second_id}

    with pytest.raises(InvalidInput):
        next(lab.files(first_id, case=case))
    with pytest.raises(NotFound):
        lab.case_file_page(case, exhibit="E9")

    polder = unit.lab("polder_inv")
    with pytest.raises(AccessDenied):
        next(polder.files(case=case))
    with pytest.raises(AccessDenied):
        polder.case_file_page(case, FileFilter(deleted=True))
    refused = [
        e
        for e in unit.lab("dpo").audit_log()
        if e.username == "polder_inv" and e.operation == "file.list"
    ]
    assert [e.allowed for e in refused] == [False, False]
    lab.share_case(case, "PZ Polder", purpose="joint investigation", permission="read")
    shared = polder.case_file_page(case, FileFilter(tagged=True))
    assert [(f.evidence_id, f.path) for f in shared.files] == [(first_id, "/docs/report.txt")]
    allowed = [
        e
        for e in unit.lab("dpo").audit_log()
        if e.username == "polder_inv" and e.operation == "file.list" and e.allowed
    ]
    assert len(allowed) == 1 and json.loads(allowed[0].detail or "{}")["filters"] == {
        "tagged": True
    }
