"""The files of a processed item for analysts' scripts (issue 20): ``lab.files`` lists and
filters what the run found, ``lab.open_file`` streams a file's bytes from the stored
evidence; both through the gate, audited once, another zone refused."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from lccu.errors import AccessDenied, InvalidInput, NotFound
from lccu.evidence.lab_files import FileFilter
from lccu.storage import open_store
from lccu.tasks import drain, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit


def _sha256(stream: object) -> str:
    digest = hashlib.sha256()
    while block := stream.read(65536):  # type: ignore[attr-defined]
        digest.update(block)
    return digest.hexdigest()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_files_and_their_bytes_through_the_library(
    unit: Unit, planted_disk: PlantedManifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every planted file is listed with the manifest's hashes and deleted flag; filters
    (deleted, MIME, SHA-256, YARA rule, tagged, carved, time) narrow the list as the
    manifest says; open_file gives the very bytes the manifest hashed (an allocated file,
    a deleted FAT file, a carved picture); another zone is refused, audited once per call."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    submit(lab, evidence, rules=[unit.rules])
    drain(lab, open_store(lab.settings))

    in_file_systems = [f for f in lab.files(evidence) if f.source == "file"]
    listed = {f.path: f for f in in_file_systems}
    planted = {p.path: p for p in planted_disk.files if p.path}
    for path in ("/docs/report.txt", "/dir/picture.png", "/notes.txt", "/data/blob.bin"):
        assert (listed[path].sha256, listed[path].md5, listed[path].size) == (
            planted[path].sha256,
            planted[path].md5,
            planted[path].size,
        )
        assert not listed[path].deleted
    # a deleted FAT entry loses its first letter; its content is still there
    assert listed["/_ecret.txt"].deleted
    assert listed["/_ecret.txt"].sha256 == planted["/secret.txt"].sha256

    deleted = {f.path for f in lab.files(evidence, deleted=True, source="file")}
    assert {
        "/_ecret.txt",
        "/data/_ld.bin",
        "/dir/gone.bin",
        "/gone.txt",
        "/payment.txt",
        "/olddir/draft.txt",
    } <= deleted
    assert not deleted & {p for p, f in planted.items() if not f.deleted}
    pictures = {f.path for f in lab.files(evidence, mime="image/", source="file")}
    assert {"/dir/picture.png", "/photos/holiday.jpg"} <= pictures
    assert all(f.mime and f.mime.startswith("image/") for f in lab.files(evidence, mime="image"))
    by_hash = list(lab.files(evidence, sha256=planted["/docs/report.txt"].sha256.upper()))
    assert [f.path for f in by_hash] == ["/docs/report.txt"]
    jpeg_hits = list(lab.files(evidence, yara_rule="jpeg_soi"))
    assert "/photos/holiday.jpg" in {f.path for f in jpeg_hits}
    assert all("jpeg_soi" in f.hits for f in jpeg_hits)
    assert (
        list(lab.files(evidence, modified_between=(datetime(2100, 1, 1, tzinfo=UTC), None))) == []
    )

    carved = list(lab.files(evidence, source="carved"))
    tail = {p.sha256: p for p in planted_disk.files if p.raw_offset is not None}
    carved_tail = [c for c in carved if c.offset in {p.raw_offset for p in tail.values()}]
    assert carved_tail, [(c.path, c.offset) for c in carved]
    for item in carved_tail:
        with lab.open_file(evidence, item) as stream:
            assert _sha256(stream) == item.sha256
        assert item.sha256 in tail

    for path, name in (
        ("/docs/report.txt", "/docs/report.txt"),
        ("/dir/sub/deep.bin", "/dir/sub/deep.bin"),
        ("/_ecret.txt", "/secret.txt"),
    ):
        with lab.open_file(evidence, listed[path].id) as stream:
            assert stream.readable() and not stream.writable()
            assert _sha256(stream) == planted[name].sha256

    hits = lab.yara_hits(evidence)
    assert {(h["rule"], h["file"]["path"]) for h in hits if h["source"] == "file"} >= {
        ("jpeg_soi", "/photos/holiday.jpg")
    }
    assert {f["path"] for f in lab.report(evidence)["files"]} >= set(listed)

    lab.tag_file(evidence, "/notes.txt", label="relevant", note="the buyer")
    tagged = list(lab.files(evidence, tagged=True))
    assert [(f.path, f.tags) for f in tagged] == [("/notes.txt", ("relevant",))]
    page = lab.file_page(evidence, FileFilter(source="file"), sort="size", descending=True, limit=2)
    assert page.total == len(in_file_systems) and len(page.files) == 2
    assert page.files[0].size == max(f.size or 0 for f in in_file_systems)

    # past COUNT_AHEAD the filtered total is a lower bound; listing still gives every file
    monkeypatch.setattr("lccu.evidence.lab_files.COUNT_AHEAD", 1)
    monkeypatch.setattr("lccu.evidence.lab_files.PAGE", 4)
    short = lab.file_page(evidence, FileFilter(source="file"), limit=2)
    assert (short.total, short.capped, len(short.files)) == (3, True, 2)
    assert len(list(lab.files(evidence, source="file"))) == len(in_file_systems)
    whole = lab.file_page(evidence, FileFilter(), limit=2)  # no filter: the index's count
    assert not whole.capped and whole.total == len(list(lab.files(evidence)))
    monkeypatch.undo()

    # files of a notable hash set come first, and paging through stays whole and disjoint
    from sqlalchemy import update

    from lccu.evidence.file_index import FileRow

    marked = {listed["/notes.txt"].id, listed["/data/blob.bin"].id}
    with lab.db.session() as session:  # as indexing a run with a notable hash set would
        session.execute(update(FileRow).where(FileRow.id.in_(marked)).values(hashset="notable"))
    pages = [
        lab.file_page(evidence, FileFilter(source="file"), offset=n, limit=3).files
        for n in range(0, len(in_file_systems), 3)
    ]
    order = [f.id for page in pages for f in page]
    assert set(order[:2]) == marked and len(order) == len(set(order)) == len(in_file_systems)
    assert [f.id for f in lab.files(evidence, source="file")][:2] == order[:2]
    # the other documented filters select what they say, not merely nothing
    assert {f.id for f in lab.files(evidence, hashset_kind="notable")} == marked
    assert list(lab.files(evidence, hashset_kind="known")) == []
    assert {f.path for f in lab.files(evidence, ext="JPG", source="file")} == {
        "/photos/holiday.jpg"
    }
    report_md5 = planted["/docs/report.txt"].md5
    assert [f.path for f in lab.files(evidence, md5=report_md5.upper())] == ["/docs/report.txt"]
    dated = next(f for f in in_file_systems if f.mtime and f.kind == "file")
    moment = datetime.fromisoformat((dated.mtime or "").replace("Z", "+00:00"))
    around = list(
        lab.files(
            evidence,
            source="file",
            modified_between=(moment - timedelta(seconds=1), moment + timedelta(seconds=1)),
        )
    )
    assert dated.id in {f.id for f in around}
    assert all(
        abs(datetime.fromisoformat((f.mtime or "").replace("Z", "+00:00")) - moment)
        <= timedelta(seconds=1)
        for f in around
    )
    assert dated.id not in {
        f.id for f in lab.files(evidence, modified_between=(None, moment))
    }  # the end is excluded

    with pytest.raises(InvalidInput):
        list(lab.files(evidence, sha256="abc"))
    with pytest.raises(InvalidInput):
        list(lab.files(evidence, colour="red"))

    # another zone: refused, one refused audit entry per call, nothing listed or read
    other = unit.lab("polder_inv")
    with pytest.raises(AccessDenied):
        list(other.files(evidence))
    with pytest.raises(AccessDenied), other.open_file(evidence, listed["/notes.txt"].id):
        pass
    # a file id of another item is "no such file", whatever zone owns it
    other_item = unit.add_image("polder_inv", planted_disk.image, "P1")
    with pytest.raises(NotFound), other.open_file(other_item, listed["/notes.txt"].id):
        pass
    audit = [
        (e.username, e.operation, e.allowed)
        for e in unit.lab("dpo").audit_log()
        if e.operation.startswith("file.")
    ]
    assert audit.count(("polder_inv", "file.list", False)) == 1
    assert audit.count(("polder_inv", "file.read", False)) == 2
    assert ("polder_inv", "file.read", True) not in audit
    assert audit.count(("vlas_inv", "file.read", True)) == 3 + len(carved_tail)
