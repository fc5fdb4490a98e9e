"""Every image format reads byte-identical to its raw image, locally and from S3."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lccu.config import Settings
from lccu.imaging import detect_format, open_image
from lccu.imaging.ewf import ewf_segment_names, open_ewf, verify
from lccu.imaging.split import segment_names
from lccu.storage.s3 import S3Store
from tests.imaging.conftest import Acquired  # not `conftest`: another folder's may be first


def sha256_file(path: Path) -> str:
    """SHA-256 of a file computed with hashlib alone (the oracle)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_stream(stream: io.RawIOBase) -> str:
    """SHA-256 of everything an lccu image stream yields, read in odd-sized pieces."""
    digest = hashlib.sha256()
    while chunk := stream.read(1_000_003):
        digest.update(chunk)
    return digest.hexdigest()


def _corpus_cases(corpus: Path) -> list[tuple[str, Path, Path]]:
    dfvfs, tsk = corpus / "dfvfs", corpus / "sleuthkit"
    return [
        ("ewf", dfvfs / "ext2.E01", dfvfs / "ext2.raw"),
        ("ewf", dfvfs / "ext2.split.E01", dfvfs / "ext2.raw"),
        ("split", dfvfs / "ext2.splitraw.000", dfvfs / "ext2.raw"),
        ("ewf", tsk / "image.E01", tsk / "image.dd"),
        ("raw", dfvfs / "ext2.raw", dfvfs / "ext2.raw"),
    ]


@pytest.mark.parametrize("index", range(5))
def test_corpus_images_read_like_their_raw(corpus: Path, index: int) -> None:
    """Corpus E01, split E01 and split raw decode to the SHA-256 of the upstream raw image."""
    kind, image, raw = _corpus_cases(corpus)[index]
    assert detect_format(image) == kind
    with open_image(image) as stream:
        assert stream.size == raw.stat().st_size
        assert sha256_stream(stream) == sha256_file(raw)


def test_generated_e01_single_and_split(acquired: Acquired) -> None:
    """E01s written by ewfacquire (uncompressed, and deflate in 4 segments) equal the raw."""
    expected = sha256_file(acquired.raw)
    names = ewf_segment_names(str(acquired.split), lambda n: Path(n).is_file())
    assert len(names) == len(list(acquired.split.parent.glob("multi.E*"))) >= 3
    for image in (acquired.single, acquired.split):
        with open_image(image) as stream:
            assert sha256_stream(stream) == expected


def test_ewf_stored_hashes_verify_like_ewfinfo(acquired: Acquired) -> None:
    """verify() reports the MD5/SHA-1 ewfinfo reads from the container and finds them matching."""
    source = open_ewf(acquired.split)
    try:
        result = verify(source)
    finally:
        source.close()
    assert result.info.stored_md5 == acquired.ewfinfo_md5
    assert result.info.stored_sha1 == acquired.ewfinfo_sha1
    assert result.computed.md5 == hashlib.md5(acquired.raw.read_bytes()).hexdigest()
    assert result.info.media_size == acquired.raw.stat().st_size
    assert result.ok


def test_corpus_e01_verification_matches_ewfverify(corpus: Path) -> None:
    """The two-partition corpus E01 verifies: stored MD5 and SHA-1 as ewfverify prints them."""
    image = corpus / "sleuthkit" / "imageformat_mmls_1.E01"
    ewfverify = shutil.which("ewfverify") or "ewfverify"
    report = subprocess.run([ewfverify, "-q", "-d", "sha1", str(image)],
                            capture_output=True, text=True, timeout=120).stdout  # fmt: skip
    stored_md5 = re.search(r"MD5 hash stored in file:\s+([0-9a-f]{32})", report)
    stored_sha1 = re.search(r"SHA1 hash stored in file:\s+([0-9a-f]{40})", report)
    assert stored_md5 and stored_sha1, report
    source = open_ewf(image)
    try:
        result = verify(source)
    finally:
        source.close()
    assert (result.info.stored_md5, result.info.stored_sha1) == (stored_md5[1], stored_sha1[1])
    assert (result.computed.md5, result.computed.sha1) == (stored_md5[1], stored_sha1[1])
    assert result.ok


def test_split_raw_naming_schemes(tmp_path: Path, acquired: Acquired) -> None:
    """Segments cut by coreutils split (.001 numeric and aa alphabetic) read as the raw image."""
    expected = sha256_file(acquired.raw)
    numeric, alpha = tmp_path / "num", tmp_path / "alpha"
    numeric.mkdir()
    alpha.mkdir()
    subprocess.run(["split", "-b", "1000000", "-d", "-a", "3", "--numeric-suffixes=1",
                    str(acquired.raw), str(numeric / "disk.")], check=True)  # fmt: skip
    subprocess.run(["split", "-b", "1000000", str(acquired.raw), str(alpha / "disk")],
                   check=True)  # fmt: skip
    for first in (numeric / "disk.001", alpha / "diskaa"):
        assert detect_format(first) == "split"
        with open_image(first) as stream:
            assert sha256_stream(stream) == expected


@pytest.mark.s3
def test_images_read_from_s3_without_local_copy(s3_settings: Settings, corpus: Path,
                                                acquired: Acquired) -> None:  # fmt: skip
    """E01, split E01 and split raw stored in S3 decode through ranged reads to the raw hash."""
    store = S3Store(s3_settings)
    dfvfs = corpus / "dfvfs"
    uploads = {
        "ext2/ext2.E01": dfvfs / "ext2.E01",
        "ext2/ext2.split.E01": dfvfs / "ext2.split.E01",
        "ext2/ext2.split.E02": dfvfs / "ext2.split.E02",
        "ext2/ext2.splitraw.000": dfvfs / "ext2.splitraw.000",
        "ext2/ext2.splitraw.001": dfvfs / "ext2.splitraw.001",
        "gen/multi.E01": acquired.split,
    }
    uploads.update({f"gen/{p.name}": p for p in acquired.split.parent.glob("multi.E0*")})
    for key, path in uploads.items():
        with path.open("rb") as fh:
            store.put_evidence(key, fh)
    ext2 = sha256_file(dfvfs / "ext2.raw")
    with open_image(store.open_evidence("ext2/ext2.E01")) as stream:
        assert sha256_stream(stream) == ext2
    for first, expected in (("ext2/ext2.split.E01", ext2), ("ext2/ext2.splitraw.000", ext2),
                            ("gen/multi.E01", sha256_file(acquired.raw))):  # fmt: skip
        names = ewf_segment_names(first, store.exists)
        if len(names) == 1:
            names = segment_names(first, store.exists)
        assert len(names) >= 2
        with open_image([store.open_evidence(name) for name in names]) as stream:
            assert sha256_stream(stream) == expected


def test_ewf_segment_names_beside_the_first(tmp_path: Path) -> None:
    """The names libewf gives the segments after the first: ``.E02 ... .E99``, then
    ``.EAA .EAB ...``; ``.Ex01 .Ex02`` for EWF2; lower case kept; a series ends at the
    first name that does not exist (the gap itself is refused by intake, not here)."""

    def made(*names: str) -> set[str]:
        return {str(tmp_path / n) for n in names}

    numbered = [f"disk.E{n:02d}" for n in range(1, 100)] + ["disk.EAA", "disk.EAB"]
    for names in (numbered, ["disk.Ex01", "disk.Ex02", "disk.Ex03"], ["usb.e01", "usb.e02"]):
        present = made(*names, "disk.E03x", "usb.E03")
        found = ewf_segment_names(str(tmp_path / names[0]), present.__contains__)
        assert found == [str(tmp_path / n) for n in names]
    gap = made("disk.E01", "disk.E02", "disk.E04")
    assert ewf_segment_names(str(tmp_path / "disk.E01"), gap.__contains__) == [
        str(tmp_path / "disk.E01"), str(tmp_path / "disk.E02")]  # fmt: skip
