"""lccu.fs.content: streamed contents against icat, the ground truth and the planted files."""

from __future__ import annotations

import hashlib
import io

import pytest
from tsk_oracle import icat_hashes

from lccu.errors import FileSystemError
from lccu.fs import identify, list_volumes, open_content, walk
from lccu.testing.corpus import corpus_file

CORPUS = [("pytsk", "image.raw"), ("dfvfs", "ext2.raw"), ("dfvfs", "hfsplus.raw"),
          ("dfvfs", "iso9660.raw"), ("sleuthkit", "image.dd")]
CANONICAL_MD5 = {"a_file": "85bebf486af24792085f769afa46717d",
                 "passwords.txt": "39cb097008d17660abd0539891a672af",
                 "another_file": "d54ff73404ed6041a3bd66850b061bff"}


@pytest.mark.parametrize("parts", CORPUS, ids=lambda p: "/".join(p))
def test_every_regular_file_hashes_like_icat(open_image, parts) -> None:
    """Every regular file with a meta address streams to the MD5, SHA-1 and SHA-256
    hashlib gives over icat's output."""
    path = corpus_file(*parts)
    img = open_image(path)
    volume = list_volumes(img)[0]
    files = [e for e in walk(img, volume) if e.kind == "file" and e.has_meta]
    assert files
    for entry in files:
        with open_content(img, volume, entry) as stream:
            info = identify(stream)
        assert info.hashes() == icat_hashes(path, entry.inode), entry.path
        assert info.size == entry.size


@pytest.mark.parametrize("parts", CORPUS, ids=lambda p: "/".join(p))
def test_canonical_tree_md5s(open_image, parts) -> None:
    """The dfvfs canonical files have GROUND_TRUTH's MD5s (case-insensitive 8.3 names on ISO)."""
    img = open_image(corpus_file(*parts))
    volume = list_volumes(img)[0]
    seen = {}
    for entry in walk(img, volume):
        key = next((k for k in CANONICAL_MD5 if entry.name.lower() == k), None)
        if key and entry.allocated:
            with open_content(img, volume, entry) as stream:
                seen[key] = hashlib.md5(stream.read()).hexdigest()
    assert seen == CANONICAL_MD5


def test_reader_seek_semantics(open_image) -> None:
    """another_file obeys the dfvfs read/seek contract (seek 10 -> 'other', END-10 -> 'her f')."""
    img = open_image(corpus_file("dfvfs", "ext2.raw"))
    volume = list_volumes(img)[0]
    entry = next(e for e in walk(img, volume) if e.path == "/a_directory/another_file")
    with open_content(img, volume, entry) as stream:
        stream.seek(10)
        assert stream.read(5) == b"other"
        stream.seek(-10, io.SEEK_END)
        assert stream.read(5) == b"her f"
        stream.seek(2, io.SEEK_CUR)
        assert stream.read(2) == b"e."
        assert stream.read() == b"\n" and stream.read() == b""


def test_inode_zero_is_a_clear_error(open_image) -> None:
    """A deleted name with no meta address raises FileSystemError, not a TSK error."""
    img = open_image(corpus_file("pytsk", "image.raw"))
    volume = list_volumes(img)[0]
    entry = next(e for e in walk(img, volume) if e.path == "/passwords.txt~")
    with pytest.raises(FileSystemError, match="not recoverable"):
        open_content(img, volume, entry)


def test_planted_files_come_back_with_exact_sha256(open_image, built_disk) -> None:
    """Every file planted in a partition (deleted ones too) is found with its exact SHA-256."""
    img = open_image(built_disk.image)
    volumes = {v.start_offset: v for v in list_volumes(img)}
    found: dict[tuple[int, str], tuple[str, bool, str]] = {}
    for volume in volumes.values():
        for entry in walk(img, volume):
            if entry.kind == "file" and entry.has_meta:
                with open_content(img, volume, entry) as stream:
                    info = identify(stream)
                found[(volume.start_offset, entry.path)] = (info.sha256, entry.allocated, info.mime)
    for planted in (f for f in built_disk.files if f.partition_offset is not None):
        if planted.deleted and planted.fs_type == "fat32":
            matches = [k for k in found if k[0] == planted.partition_offset
                       and _fat_deleted_path_matches(k[1], planted.path)]
        else:
            matches = [k for k in found if k == (planted.partition_offset, planted.path)]
        assert len(matches) == 1, planted
        sha256, allocated, _mime = found[matches[0]]
        assert (sha256, allocated) == (planted.sha256, not planted.deleted), planted


def _fat_deleted_path_matches(found: str, planted: str) -> bool:
    """FAT overwrites a deleted short name's first character with 0xE5 (TSK shows '_')."""
    ours, theirs = found.lower().split("/"), planted.lower().split("/")
    return len(ours) == len(theirs) and all(
        a == b or (a[:1] == "_" and a[1:] == b[1:]) for a, b in zip(ours, theirs, strict=True)
    )


def test_magic_identifies_planted_images(open_image, built_disk) -> None:
    """python-magic names the planted JPEG and PNG by their formats."""
    img = open_image(built_disk.image)
    mimes = {}
    for volume in list_volumes(img):
        for entry in walk(img, volume):
            if entry.name in ("holiday.jpg", "picture.png"):
                with open_content(img, volume, entry) as stream:
                    mimes[entry.name] = identify(stream).mime
    assert mimes == {"holiday.jpg": "image/jpeg", "picture.png": "image/png"}


def test_concurrent_reads_share_one_image(open_image, built_disk) -> None:
    """Four threads streaming planted files through one TskImage all get the exact SHA-256."""
    from concurrent.futures import ThreadPoolExecutor

    img = open_image(built_disk.image)
    jobs = []
    for volume in list_volumes(img):
        for entry in walk(img, volume):
            if entry.kind == "file" and entry.allocated and entry.size > 1000:
                jobs.append((volume, entry))
    expected = {(f.partition_offset, f.path): f.sha256 for f in built_disk.files if f.path}

    def digest(job):
        volume, entry = job
        with open_content(img, volume, entry) as stream:
            return (volume.start_offset, entry.path), identify(stream).sha256

    with ThreadPoolExecutor(4) as pool:
        results = dict(pool.map(digest, jobs * 3))
    planted = {k: v for k, v in results.items() if k in expected}
    assert len(planted) >= 5
    assert planted == {k: expected[k] for k in planted}


def test_kernel_style_ext4_deletion_is_listed_but_not_recoverable(tmp_path, open_image,
                                                                  built_disk) -> None:
    """After a kernel-style unlink (size 0, extents cleared) the name stays, the content is gone."""
    from tsk_oracle import fls

    ext = next(p for p in built_disk.partitions if p["fs_type"] == "ext4")
    base = int(ext["start_offset"])
    data = bytearray(built_disk.image.read_bytes())
    img0 = open_image(built_disk.image)
    volume0 = next(v for v in list_volumes(img0) if v.start_offset == base)
    gone = next(e for e in walk(img0, volume0) if e.path == "/dir/gone.bin")
    # ext4 on-disk layout: 1 KiB blocks (builder's -b 1024), superblock at +1024, GDT at +2048.
    inode_size = int.from_bytes(data[base + 1024 + 88 : base + 1024 + 90], "little")
    per_group = int.from_bytes(data[base + 1024 + 40 : base + 1024 + 44], "little")
    assert gone.inode <= per_group  # group 0, so the first descriptor applies
    table = int.from_bytes(data[base + 2048 + 8 : base + 2048 + 12], "little")
    at = base + table * 1024 + (gone.inode - 1) * inode_size
    data[at + 4 : at + 8] = bytes(4)  # i_size_lo
    data[at + 108 : at + 112] = bytes(4)  # i_size_high
    data[at + 40 + 2 : at + 40 + 4] = bytes(2)  # extent header: zero entries
    path = tmp_path / "unlinked.img"
    path.write_bytes(bytes(data))
    img = open_image(path)
    volume = next(v for v in list_volumes(img) if v.start_offset == base)
    entries = list(walk(img, volume))
    rows = {(e.inode, e.path[1:], not e.allocated) for e in entries}
    assert rows == fls(path, base // 512)
    after = next(e for e in entries if e.path == "/dir/gone.bin")
    assert (after.inode, after.allocated) == (gone.inode, False)
    assert (after.size, after.image_runs) == (0, [])
    with open_content(img, volume, after) as stream:
        assert identify(stream).sha256 == hashlib.sha256(b"").hexdigest()
