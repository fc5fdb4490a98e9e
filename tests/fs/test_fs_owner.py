"""lccu.fs.owner: mapping image offsets to files, and the bytes no allocated file owns."""

from __future__ import annotations

import hashlib

from lccu.fs import OffsetOwnerIndex, list_partition_table, list_volumes, unallocated_ranges, walk
from lccu.testing.corpus import corpus_file


def _all_entries(img):
    return [e for v in list_volumes(img) for e in walk(img, v)]


def test_ground_truth_extent_maps_to_another_file(open_image) -> None:
    """Offsets inside GROUND_TRUTH's extent (527360, 1024) belong to another_file, not outside."""
    img = open_image(corpus_file("dfvfs", "ext2.raw"))
    index = OffsetOwnerIndex(_all_entries(img))
    assert index.owner_of(527360).path == "/a_directory/another_file"
    assert index.owner_of(527360 + 1023).path == "/a_directory/another_file"
    owner_after = index.owner_of(527360 + 1024)
    assert owner_after is None or owner_after.path != "/a_directory/another_file"


def test_image_runs_read_raw_give_planted_content(built_disk, open_image) -> None:
    """Reading each allocated planted file's image_runs straight from the disk gives its SHA-256."""
    img = open_image(built_disk.image)
    by_key = {(e.path, e.allocated): e for e in _all_entries(img)}
    raw = built_disk.image.read_bytes()
    checked = 0
    for planted in built_disk.files:
        if planted.partition_offset is None or planted.deleted:
            continue
        entry = by_key[(planted.path, True)]
        data = b"".join(raw[s : s + n] for s, n in entry.image_runs)[: planted.size]
        assert hashlib.sha256(data).hexdigest() == planted.sha256, planted.path
        checked += 1
    assert checked == 7


def test_owner_lookup_and_unallocated_space(built_disk, open_image) -> None:
    """Allocated files own their offsets; raw-planted files lie in unallocated ranges, unowned."""
    img = open_image(built_disk.image)
    entries = _all_entries(img)
    index = OffsetOwnerIndex(entries)
    deep = next(e for e in entries if e.path == "/dir/sub/deep.bin")
    start, length = deep.image_runs[-1]
    assert index.owner_of(start + length - 1) is deep
    free = unallocated_ranges(built_disk.size, list_partition_table(img), entries)
    for planted in (f for f in built_disk.files if f.raw_offset is not None):
        assert index.owner_of(planted.raw_offset) is None
        assert any(s <= planted.raw_offset and planted.raw_offset + planted.size <= e
                   for s, e in free), planted.name
    for s, e in free:
        assert index.owner_of(s) is None and index.owner_of(e - 1) is None
    deleted = next(e for e in entries if e.path == "/dir/gone.bin")
    assert not deleted.allocated and deleted.image_runs
    assert index.owner_of(deleted.image_runs[0][0]) is None
    assert OffsetOwnerIndex(entries, include_deleted=True).owner_of(
        deleted.image_runs[0][0]) is deleted


def test_unallocated_ranges_split_at_mmls_rows(built_disk, open_image) -> None:
    """No free range crosses an mmls row boundary, and the tail row is entirely free."""
    img = open_image(built_disk.image)
    rows = list_partition_table(img)
    free = unallocated_ranges(built_disk.size, rows, _all_entries(img))
    bounds = {r.start_offset for r in rows} | {r.start_offset + r.length for r in rows}
    for start, end in free:
        assert not any(start < b < end for b in bounds)
    tail = rows[-1]
    assert tail.kind == "unallocated"
    assert (tail.start_offset, tail.start_offset + tail.length) in free
