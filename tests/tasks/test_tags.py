"""Tags and notes on files of a processed item, through the command line (issue 20):
a file named by path, inode or SHA-256, listed per case and item, removed (kept as
removed), every action audited and noted in the custody log, another zone refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lccu.errors import AccessDenied, InvalidInput, NotFound
from lccu.evidence.tags import find_file
from lccu.storage import open_store
from lccu.tasks import drain, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit
from tests.tasks.test_cli import SQLITE_ONLY


def processed_item(unit: Unit, image: Path) -> str:
    """A planted image taken in as E1 of vlas_inv's case and processed in-process."""
    evidence = unit.add_image("vlas_inv", image, "E1")
    done = unit.cli("process", evidence, "--json", LCCU_REDIS_URL="")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "done"
    return evidence


@SQLITE_ONLY
def test_tag_files_by_path_inode_and_sha256(unit: Unit, planted_disk: PlantedManifest) -> None:
    """Tag by path, by SHA-256 and by inode; list per case and per item; remove one; a bad
    file name is exit 2; another zone is refused (exit 1) and the refusal audited."""
    evidence = processed_item(unit, planted_disk.image)
    planted = {f.path: f for f in planted_disk.files if f.path}
    report = planted["/docs/report.txt"]
    picture = planted["/dir/picture.png"]

    added = unit.cli(
        "tag",
        "add",
        "E1",
        "/docs/report.txt",
        "--label",
        "relevant",
        "--note",
        "payment plan for the deal",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    first = json.loads(added.stdout)
    assert first["sha256"] == report.sha256 and first["file"]["md5"] == report.md5
    assert first["note"] == "payment plan for the deal" and first["created_by"] == "vlas_inv"

    by_hash = unit.cli("tag", "add", evidence, picture.sha256, "--label", "to check", "--json")
    assert by_hash.returncode == 0, by_hash.stderr
    assert json.loads(by_hash.stdout)["path"] == "/dir/picture.png"

    by_inode = unit.cli(
        "tag",
        "add",
        "E1",
        str(first["inode"]),
        "--volume",
        str(first["volume"]),
        "--label",
        "privileged",
        "--json",
    )
    assert by_inode.returncode == 0, by_inode.stderr
    assert json.loads(by_inode.stdout)["path"] == "/docs/report.txt"

    missing = unit.cli("tag", "add", "E1", "/no/such.txt", "--label", "relevant")
    assert missing.returncode == 2 and "no file with path /no/such.txt" in missing.stderr
    bad_label = unit.cli("tag", "add", "E1", "/docs/report.txt", "--label", "<b>")
    assert bad_label.returncode == 2 and "label" in bad_label.stderr

    listed = unit.cli("tag", "list", unit.cases["vlas_inv"], "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["path"], r["label"]) for r in rows] == [
        ("/docs/report.txt", "relevant"),
        ("/dir/picture.png", "to check"),
        ("/docs/report.txt", "privileged"),
    ]
    assert {r["exhibit_number"] for r in rows} == {"E1"}
    table = unit.cli("tag", "list", "E1")
    assert "payment plan for the deal" in table.stdout and picture.sha256 in table.stdout

    removed = unit.cli("tag", "remove", rows[2]["id"], "--reason", "not privileged")
    assert removed.returncode == 0, removed.stderr
    after = json.loads(unit.cli("tag", "list", "E1", "--json").stdout)
    assert [r["label"] for r in after] == ["relevant", "to check"]
    everything = json.loads(unit.cli("tag", "list", "E1", "--all", "--json").stdout)
    gone = [r for r in everything if r["id"] == rows[2]["id"]]
    assert gone[0]["removed_by"] == "vlas_inv" and gone[0]["removed_reason"] == "not privileged"
    again = unit.cli("tag", "remove", rows[2]["id"])
    assert again.returncode == 2 and "no tag" in again.stderr

    # another zone: refused whether it adds, lists or removes, and audited as refused; the
    # answer is that of an id that names nothing (exit 2), which says no zone's case exists
    other = {"LCCU_USER": "polder_inv"}
    refused = unit.cli("tag", "add", evidence, "/docs/report.txt", "--label", "x", **other)
    assert refused.returncode == 2, refused.stderr
    assert f"no evidence item '{evidence}'" in refused.stderr and "PZ Vlas" not in refused.stderr
    assert unit.cli("tag", "list", evidence, **other).returncode == 2
    assert unit.cli("tag", "remove", rows[0]["id"], **other).returncode == 2
    assert len(json.loads(unit.cli("tag", "list", "E1", "--json").stdout)) == 2

    audit = [
        (e.username, e.operation, e.allowed)
        for e in unit.lab("dpo").audit_log()
        if e.operation.startswith("tag.")
    ]
    assert audit.count(("vlas_inv", "tag.add", True)) == 3
    assert ("vlas_inv", "tag.add", False) in audit  # the missing file
    assert ("vlas_inv", "tag.remove", True) in audit
    assert {("polder_inv", op, False) for op in ("tag.add", "tag.list", "tag.remove")} <= set(audit)

    # each tag and removal is a note in the item's custody log, naming the tag
    events = unit.lab("vlas_inv").custody_log(unit.cases["vlas_inv"])
    notes = [e for e in events if e["action"] == "note" and "tag" in e["details"]]
    assert [e["details"]["tag"] for e in notes] == [r["id"] for r in rows] + [rows[2]["id"]]
    assert all(e["evidence_id"] == evidence for e in notes)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_tags_through_the_library_on_postgresql(unit: Unit, planted_disk: PlantedManifest) -> None:
    """lab.tag_file / lab.tags / lab.untag on PostgreSQL; a closed case takes no new tags
    (refused as input, audited)."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    submit(lab, evidence, rules=[unit.rules])
    drain(lab, open_store(lab.settings))
    tag = lab.tag_file(evidence, "/notes.txt", label="relevant", note="names the buyer")
    notes = next(f for f in planted_disk.files if f.path == "/notes.txt")
    assert (tag.sha256, tag.file["md5"], tag.file["size"]) == (notes.sha256, notes.md5, notes.size)
    assert [t.id for t in lab.tags(unit.cases["vlas_inv"])] == [tag.id]
    # case data: a zone the case is shared with (to read) sees the tag, and cannot tag
    polder = unit.lab("polder_inv")
    with pytest.raises(AccessDenied):
        polder.tags(unit.cases["vlas_inv"])
    lab.share_case(unit.cases["vlas_inv"], "PZ Polder", purpose="joint inquiry", permission="read")
    seen = polder.tags(unit.cases["vlas_inv"])
    assert [(t.id, t.note) for t in seen] == [(tag.id, "names the buyer")]
    with pytest.raises(AccessDenied):
        polder.tag_file(evidence, "/notes.txt", label="relevant")
    assert lab.untag(tag.id[:12], reason="duplicate").removed_reason == "duplicate"
    assert lab.tags(evidence) == []
    lab.close_case(unit.cases["vlas_inv"], reason="judgment")
    with pytest.raises(InvalidInput, match="is closed"):
        lab.tag_file(evidence, "/notes.txt", label="relevant")
    refused = [e for e in unit.lab("dpo").audit_log() if e.operation == "tag.add" and not e.allowed]
    assert [e.username for e in refused] == ["polder_inv", "vlas_inv"]  # each audited once
    assert "is closed" in (refused[1].detail or "")


def test_a_file_named_twice_is_refused_listing_both() -> None:
    """A path held by two volumes (or a SHA-256 by two copies) is ambiguous: refused,
    listing them, until --volume narrows it; an unknown one is not found."""
    files = [
        {"volume": 1, "path": "/a.txt", "inode": 5, "sha256": "ab" * 32},
        {"volume": 2, "path": "/a.txt", "inode": 9, "sha256": "ab" * 32, "allocated": False},
    ]
    with pytest.raises(
        InvalidInput, match=r"2 files with path /a.txt .*inode 9 /a.txt \(deleted\)"
    ):
        find_file(files, "/a.txt", None, "E1")
    assert find_file(files, "a.txt", 2, "E1")["inode"] == 9
    assert find_file(files, "9", None, "E1")["volume"] == 2
    assert find_file(files, "AB" * 32, 1, "E1")["inode"] == 5
    with pytest.raises(NotFound):
        find_file(files, "/b.txt", None, "E1")


@SQLITE_ONLY
def test_labels_defined_per_case_and_for_the_unit(
    unit: Unit, planted_disk: PlantedManifest
) -> None:
    """With no labels defined any label is taken; once the case defines labels a tag takes
    one of them (any case spelling, stored as defined) and another is refused (exit 2,
    audited once); the unit admin's labels hold in every case; only the admin defines
    the unit's, and another zone cannot define the case's."""
    evidence = processed_item(unit, planted_disk.image)
    case = unit.cases["vlas_inv"]
    free = unit.cli("tag", "add", evidence, "/notes.txt", "--label", "whatever")
    assert free.returncode == 0, free.stderr
    assert "no tag labels defined" in unit.cli("tag", "labels", case).stdout

    defined = unit.cli("tag", "label", "relevant", "--case", case)
    assert defined.returncode == 0, defined.stderr
    assert unit.cli("tag", "label", "RELEVANT", "--case", case).returncode == 0  # no twin
    assert unit.cli("tag", "label", "privileged", user="admin").returncode == 0
    labels = json.loads(unit.cli("tag", "labels", evidence, "--json").stdout)
    assert labels == ["relevant", "privileged"] or labels == ["privileged", "relevant"]

    taken = unit.cli("tag", "add", evidence, "/docs/report.txt", "--label", "Relevant",
                     "--json")  # fmt: skip
    assert taken.returncode == 0, taken.stderr
    assert json.loads(taken.stdout)["label"] == "relevant"
    assert unit.cli("tag", "add", evidence, "/dir/picture.png", "--label",
                    "privileged").returncode == 0  # fmt: skip
    refused = unit.cli("tag", "add", evidence, "/dir/picture.png", "--label", "to check")
    assert refused.returncode == 2 and "not one of the tag labels" in refused.stderr
    assert "relevant" in refused.stderr and "privileged" in refused.stderr

    assert unit.cli("tag", "label", "secret").returncode != 0  # the unit's: admin only
    other = unit.cli("tag", "label", "mine", "--case", case, user="polder_inv")
    assert other.returncode == 2  # another zone's case: as a case that is not there
    lab = unit.lab("vlas_inv")
    assert lab.tag_labels(case) == labels
    audit = [(e.username, e.operation, e.allowed) for e in unit.lab("dpo").audit_log()
             if e.operation in ("tag.add", "tag.label")]  # fmt: skip
    assert audit.count(("vlas_inv", "tag.add", False)) == 1
    assert audit.count(("vlas_inv", "tag.label", True)) == 2
    assert audit.count(("admin", "tag.label", True)) == 1
    assert ("vlas_inv", "tag.label", False) in audit and ("polder_inv", "tag.label", False) in audit
