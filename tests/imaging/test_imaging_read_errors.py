"""Read errors are facts of the evidence: an E01 chunk that fails its checksum and a wrong
stored MD5 are reported with offsets and causes, never read as silent zeros.

The images are made here with ewfacquire and damaged on purpose; ewfverify (ewf-tools) is
the oracle for which sectors fail and which hash is stored.
"""

from __future__ import annotations

import json
import random
import re
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from lccu.hashing import hash_stream
from lccu.imaging import open_image
from lccu.imaging.integrity import check_media
from lccu.testing.cli import run_lccu


@dataclass(frozen=True)
class Damaged:
    """A damaged E01 and what ewfverify says about it."""

    image: Path
    bad_sectors: list[tuple[int, int]]  # (first, last) as ewfverify prints them
    stored_md5: str
    verified: bool


def ewfverify(image: Path) -> Damaged:
    """Run ewfverify on ``image`` and read the failing sector ranges and the stored MD5."""
    out = subprocess.run(["ewfverify", "-q", str(image)], capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    sectors = [(int(a), int(b)) for a, b in re.findall(r"at sector\(s\): (\d+) - (\d+)",
                                                         out.stdout)]  # fmt: skip
    stored = re.search(r"MD5 hash stored in file:\s+([0-9a-f]{32})", out.stdout)
    assert stored, out.stdout
    return Damaged(image, sectors, stored[1], out.returncode == 0)


def _text_disk(path: Path) -> Path:
    """4 MiB of words: every chunk compresses, none is zeros."""
    rng = random.Random(12)
    words = [b"evidence", b"zone", b"seized", b"laptop", b"report", b"hash", b"image"]
    data = bytearray()
    while len(data) < 4 * 1024 * 1024:
        data += b" ".join(rng.choice(words) for _ in range(12)) + b"\n"
    path.write_bytes(bytes(data[: 4 * 1024 * 1024]))
    return path


@pytest.fixture(scope="module")
def acquisitions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The text disk as raw, as an uncompressed E01 and as a deflate E01 (ewfacquire)."""
    work = tmp_path_factory.mktemp("damage")
    raw = _text_disk(work / "disk.raw")
    made = {"raw": raw}
    for name, compression in (("none", "none"), ("deflate", "deflate:best")):
        subprocess.run(["ewfacquire", "-u", "-q", "-c", compression, "-t", str(work / name),
                        str(raw)], check=True, capture_output=True, timeout=120)  # fmt: skip
        made[name] = work / f"{name}.E01"
    return made


def flip_chunk(source: Path, target: Path) -> Path:
    """A copy of ``source`` with 16 bytes flipped in the middle of the file (chunk data)."""
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    for offset in range(middle, middle + 16):
        data[offset] ^= 0x5A
    target.write_bytes(bytes(data))
    return target


def _sections(data: bytes) -> dict[str, int]:
    """Offsets of the EWF sections by type (the 76-byte descriptors chained from byte 13)."""
    found, offset = {}, 13
    while offset + 76 <= len(data):
        kind = data[offset : offset + 16].rstrip(b"\0").decode()
        found.setdefault(kind, offset)
        following = struct.unpack_from("<Q", data, offset + 16)[0]
        if kind == "done" or following <= offset:
            break
        offset = following
    return found


def wrong_stored_md5(source: Path, target: Path) -> str:
    """A copy of ``source`` whose stored MD5 (hash and digest sections) is another value,
    with the sections' Adler-32 checksums fixed so that the file is otherwise sound."""
    data = bytearray(source.read_bytes())
    wrong = bytes.fromhex("0123456789abcdef0123456789abcdef")
    sections = _sections(bytes(data))
    for kind, body in (("hash", 32), ("digest", 76)):
        if kind in sections:
            at = sections[kind] + 76
            data[at : at + 16] = wrong
            struct.pack_into("<I", data, at + body, zlib.adler32(bytes(data[at : at + body])))
    assert "hash" in sections or "digest" in sections
    target.write_bytes(bytes(data))
    return wrong.hex()


@pytest.mark.parametrize("compression", ["none", "deflate"])
def test_corrupt_chunk_is_reported_at_ewfverify_offsets(
    acquisitions: dict[str, Path], tmp_path: Path, compression: str
) -> None:
    """A flipped byte inside a chunk (compressed or not) is a read fault covering exactly the
    sectors ewfverify names; the hashes say they are not the acquired media's."""
    bad = flip_chunk(acquisitions[compression], tmp_path / "bad.E01")
    oracle = ewfverify(bad)
    assert not oracle.verified and len(oracle.bad_sectors) == 1
    with open_image(bad) as image:
        digests = hash_stream(image)
        check = check_media(image, digests)
    first, last = oracle.bad_sectors[0]
    assert [(f.offset, f.length) for f in check.faults] == [(first * 512, (last - first + 1) * 512)]
    assert "checksum" in check.faults[0].cause
    assert check.unreadable_bytes == (last - first + 1) * 512
    assert not check.ok
    assert any("not the hashes of the acquired media" in e["message"] for e in check.errors())


def test_wrong_stored_md5_is_reported(acquisitions: dict[str, Path], tmp_path: Path) -> None:
    """A stored MD5 that differs from the media is named with both values (ewfverify reads
    the same stored MD5 and fails)."""
    bad = tmp_path / "md5.E01"
    wrong = wrong_stored_md5(acquisitions["none"], bad)
    oracle = ewfverify(bad)
    assert oracle.stored_md5 == wrong and not oracle.verified and not oracle.bad_sectors
    with open_image(bad) as image:
        check = check_media(image, hash_stream(image))
    assert check.stored["md5"] == wrong and check.mismatched == ["md5"]
    assert check.stored_match is False and not check.faults
    (message,) = [e["message"] for e in check.errors()]
    assert wrong in message and check.computed.md5 in message


def _lccu(*args: str) -> subprocess.CompletedProcess[str]:
    return run_lccu(*args, timeout=300)


@pytest.mark.parametrize("compression", ["none", "deflate"])
def test_scan_and_hash_report_corrupt_chunk(acquisitions: dict[str, Path], tmp_path: Path,
                                            compression: str) -> None:  # fmt: skip
    """`lccu scan` and `lccu hash` of an E01 with a corrupt chunk (stored plain or
    compressed) exit 1 and report the fault (offset, length, cause) in report.json,
    report.html and the hash output; the run is "done with errors"."""
    bad = flip_chunk(acquisitions[compression], tmp_path / "bad.E01")
    first, last = ewfverify(bad).bad_sectors[0]
    scan = _lccu("scan", str(bad), "--out", str(tmp_path / "out"), "--no-yara", "--carve", "none")
    assert scan.returncode == 1, scan.stderr
    assert "done with errors" in scan.stdout and f"read error at {first * 512}" in scan.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["outcome"] == "done with errors"
    assert report["read_errors"] == [
        {
            "offset": first * 512,
            "length": (last - first + 1) * 512,
            "cause": report["read_errors"][0]["cause"],
        }
    ]
    assert report["image"]["unreadable_bytes"] == (last - first + 1) * 512
    assert report["image"]["stored_hashes"]["match"] is False  # the zeros change the MD5
    html = (tmp_path / "out" / "report.html").read_text()
    assert f"{first * 512:,}" in html and "done with errors" in html
    hashed = _lccu("hash", str(bad), "--json")
    assert hashed.returncode == 1
    result = json.loads(hashed.stdout)
    assert result["read_errors"][0]["offset"] == first * 512
    assert result["container_hashes_match"] is False


def test_scan_reports_wrong_stored_md5(acquisitions: dict[str, Path], tmp_path: Path) -> None:
    """`lccu scan` of an E01 whose stored MD5 is wrong exits 1, names both MD5s in its errors
    and says "done with errors"."""
    bad = tmp_path / "md5.E01"
    wrong = wrong_stored_md5(acquisitions["none"], bad)
    scan = _lccu("scan", str(bad), "--out", str(tmp_path / "out"), "--no-yara", "--carve", "none")
    assert scan.returncode == 1
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["image"]["stored_hashes"] == {"md5": wrong, "sha1": None, "match": False}
    assert any(
        wrong in e["message"] and report["image"]["md5"] in e["message"] for e in report["errors"]
    )
    assert report["outcome"] == "done with errors" and report["read_errors"] == []
