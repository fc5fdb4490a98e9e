"""NTFS through an E01 (pyewf handle as the stream) against fls and fiwalk's DFXML answer key."""

from __future__ import annotations

import hashlib
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pyewf
import pytest
from tsk_oracle import fls, fls_name

from lccu.fs import list_volumes, open_content, walk
from lccu.imaging.tsk import TskImage
from lccu.testing.corpus import corpus_file

E01 = ("sleuthkit", "imageformat_mmls_1.E01")
DFXML = ("sleuthkit", "expected", "imageformat_mmls_1.E01.dfxml.xml")


@pytest.fixture(scope="module")
def e01() -> Iterator[TskImage]:
    """The two-NTFS-partition E01, decoded by pyewf and bridged to TSK by TskImage."""
    handle = pyewf.handle()
    handle.open([str(corpus_file(*E01))])
    yield TskImage(handle, size=handle.get_media_size(), name="imageformat_mmls_1.E01")
    handle.close()


def _dfxml_files() -> list[dict]:
    """fiwalk fileobjects that have an MD5 and a partition number."""
    objects = []
    root = ET.parse(corpus_file(*DFXML)).getroot()
    for element in root.iter():  # drop the DFXML namespace so plain paths work
        element.tag = element.tag.rsplit("}", 1)[-1]
    for obj in root.iter("fileobject"):
        md5 = obj.find("hashdigest[@type='md5']")
        name = obj.findtext("filename") or ""
        if md5 is None or obj.findtext("partition") is None or name.rsplit("/", 1)[-1] in (
            ".", ".."
        ):
            continue  # fiwalk also lists dot entries, which walk skips like fls
        runs = [(int(r.get("img_offset")), int(r.get("len")))
                for r in obj.findall("byte_runs[@facet='data']/byte_run")
                if r.get("type") is None and r.get("img_offset") is not None]
        objects.append({"partition": int(obj.findtext("partition")),
                        "path": "/" + name, "md5": md5.text,
                        "size": int(obj.findtext("filesize")), "runs": runs,
                        "mtime": obj.findtext("mtime")})
    return objects


def test_ntfs_listing_equals_fls_including_streams(e01) -> None:
    """Both NTFS volumes list like fls -r -p, alternate data streams as path:stream."""
    path = corpus_file(*E01)
    volumes = list_volumes(e01)
    assert [v.fs_type for v in volumes] == ["ntfs", "ntfs"]
    for volume in volumes:
        errors: list = []
        rows = {(e.inode, fls_name(e.path[1:]), not e.allocated)
                for e in walk(e01, volume, errors)}
        assert rows == fls(path, volume.start_offset // 512)
        assert errors == []


def test_ntfs_contents_sizes_runs_times_match_dfxml(e01) -> None:
    """Every DFXML file with an MD5 has our size, MD5, mtime and data-run start offsets."""
    volumes = list_volumes(e01)
    ours = {}
    streams_only = set()
    for number, volume in enumerate(volumes, start=1):
        for entry in walk(e01, volume):
            if entry.stream is None:
                ours[(number, entry.path)] = (volume, entry)
            else:
                streams_only.add((number, entry.path.rsplit(":", 1)[0]))
    expected = _dfxml_files()
    assert len(expected) > 20
    checked = 0
    for obj in expected:
        key = (obj["partition"], obj["path"])
        if key not in ours:
            # e.g. $Secure: no unnamed $DATA, so it is listed (like fls) only as its streams
            assert key in streams_only, key
            continue
        checked += 1
        volume, entry = ours[key]
        with open_content(e01, volume, entry) as stream:
            md5 = hashlib.md5(stream.read()).hexdigest()
        assert (entry.size, md5) == (obj["size"], obj["md5"]), obj["path"]
        assert entry.mtime is not None
        assert (entry.mtime.utc_text(None) or "")[:19] == obj["mtime"][:19]
        if obj["runs"]:
            assert [s for s, _n in entry.image_runs] == [s for s, _n in _merge(obj["runs"])]
            assert sum(n for _s, n in entry.image_runs) >= obj["size"]
    assert checked >= len(expected) - 2


def _merge(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, length in runs:
        if merged and merged[-1][0] + merged[-1][1] == start:
            merged[-1] = (merged[-1][0], merged[-1][1] + length)
        else:
            merged.append((start, length))
    return merged


def test_named_streams_read_like_icat(e01) -> None:
    """Named streams ($UpCase:$Info, $Repair:$Config) stream the bytes icat gives for them."""
    from tsk_oracle import need

    path = corpus_file(*E01)
    volume = list_volumes(e01)[0]
    wanted = {"/$UpCase:$Info", "/$Extend/$RmMetadata/$Repair:$Config"}
    found = [e for e in walk(e01, volume) if e.path in wanted]
    assert {e.path for e in found} == wanted
    for entry in found:
        with open_content(e01, volume, entry) as stream:
            ours = hashlib.sha256(stream.read()).hexdigest()
        spec = f"{entry.inode}-{entry.attr_type}-{entry.attr_id}"
        out = subprocess.run([need("icat"), "-o", str(volume.start_offset // 512), str(path),
                              spec], capture_output=True, check=True, timeout=60).stdout
        assert ours == hashlib.sha256(out).hexdigest() and len(out) == entry.size
