"""lccu.fs.walk against fls -r -p and the corpus ground truth."""

from __future__ import annotations

import pytest
from tsk_oracle import fls, fls_name

from lccu.fs import list_volumes, walk
from lccu.testing.corpus import corpus_file

CORPUS = [("pytsk", "image.raw"), ("pytsk", "tsk_volume_system.raw"), ("dfvfs", "ext2.raw"),
          ("dfvfs", "hfsplus.raw"), ("dfvfs", "iso9660.raw"), ("sleuthkit", "image.dd")]


def _listing(img, volume) -> tuple[set[tuple[int, str, bool]], list]:
    errors: list = []
    rows = {(e.inode, fls_name(e.path[1:]), not e.allocated) for e in walk(img, volume, errors)}
    return rows, errors


@pytest.mark.parametrize("parts", CORPUS, ids=lambda p: "/".join(p))
def test_listing_equals_fls(open_image, parts) -> None:
    """(inode, path, deleted) of every entry equals fls -r -p on each corpus volume."""
    path = corpus_file(*parts)
    img = open_image(path)
    volumes = list_volumes(img)
    assert volumes
    for volume in volumes:
        rows, errors = _listing(img, volume)
        assert rows == fls(path, volume.start_offset // 512)
        assert errors == []


def test_built_disk_listing_equals_fls(open_image, built_disk) -> None:
    """Both partitions of the built disk, deleted names included, list exactly as fls does."""
    img = open_image(built_disk.image)
    for volume in list_volumes(img):
        rows, errors = _listing(img, volume)
        assert rows == fls(built_disk.image, volume.start_offset // 512)
        assert any(deleted for _i, _p, deleted in rows)
        assert errors == []


def test_ground_truth_inodes_sizes_and_extent(open_image) -> None:
    """dfvfs ext2.raw: GROUND_TRUTH inodes, another_file's size and its extent at 527360."""
    img = open_image(corpus_file("dfvfs", "ext2.raw"))
    entries = {e.path: e for e in walk(img, list_volumes(img)[0])}
    expected = {"/a_directory": 12, "/a_directory/a_file": 13, "/passwords.txt": 14,
                "/a_directory/another_file": 15, "/a_link": 16}
    assert {p: entries[p].inode for p in expected} == expected
    another = entries["/a_directory/another_file"]
    assert (another.size, another.kind, another.image_runs) == (22, "file", [(527360, 1024)])
    assert entries["/a_link"].kind == "link"
    assert entries["/a_directory"].kind == "dir"


def test_orphan_and_timestamps_match_bodyfile(open_image) -> None:
    """pytsk image.raw: OrphanFile-13 is deleted; passwords.txt's times equal fls -m's epochs."""
    img = open_image(corpus_file("pytsk", "image.raw"))
    entries = {e.path: e for e in walk(img, list_volumes(img)[0])}
    orphan = entries["/$OrphanFiles/OrphanFile-13"]
    assert (orphan.inode, orphan.allocated, orphan.type_code) == (13, False, "-/r")
    # GROUND_TRUTH bodyfile row: atime 1337961653, mtime 1337961653, ctime 1337961663
    pw = entries["/passwords.txt"]
    shown = [None if t is None else t.utc_text(None)
             for t in (pw.atime, pw.mtime, pw.ctime, pw.crtime)]
    assert shown == ["2012-05-25T16:00:53+00:00", "2012-05-25T16:00:53+00:00",
                     "2012-05-25T16:01:03+00:00", None]
