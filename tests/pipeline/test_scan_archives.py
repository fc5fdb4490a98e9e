"""`lccu scan` opens archives and documents found anywhere on an image (allocated, deleted,
carved): members are files like any other, hostile archives are stopped by their limits."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lccu.report import validate_report
from lccu.testing.archives import CASE_PASSWORD, OTHER_PASSWORD, ArchiveDisk, build_archive_disk

MIB = 1024 * 1024
RULE = b'rule harbour_note { strings: $a = "meeting at the harbour" condition: $a }\n'


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> ArchiveDisk:
    return build_archive_disk(tmp_path_factory.mktemp("adisk") / "disk.img")


@pytest.fixture(scope="module")
def scanned(disk: ArchiveDisk, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[dict[str, Any], Path, Path]:
    """One CLI scan: the case password list given, limits from LCCU_ARCHIVE_* settings."""
    work = tmp_path_factory.mktemp("scan")
    passwords = work / "case-passwords.txt"
    passwords.write_text(f"wrong-one\n{CASE_PASSWORD}\n", "utf-8")
    rules = work / "harbour.yar"
    rules.write_bytes(RULE)
    out = work / "jail" / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    env.update(LCCU_ARCHIVE_MAX_TOTAL_BYTES=str(24 * MIB), LCCU_ARCHIVE_MAX_RATIO="100")
    done = subprocess.run([sys.executable, "-m", "lccu.cli.main", "scan", str(disk.image),
                           "--out", str(out), "--passwords", str(passwords), "--rules",
                           str(rules), "--carve", "unallocated"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "archives" in done.stdout
    return json.loads((out / "report.json").read_text()), out, work


def _by_provenance(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["provenance"]: m for m in report["members"]}


def _file(report: dict[str, Any], path: str) -> dict[str, Any]:
    return next(f for f in report["files"] if f["path"] == path)


def _check(member: dict[str, Any], digest: str, out: Path) -> None:
    data = (out / member["exported"]).read_bytes()
    assert member["sha256"] == digest == hashlib.sha256(data).hexdigest()
    assert member["md5"] == hashlib.md5(data).hexdigest()
    assert member["sha1"] == hashlib.sha1(data).hexdigest()


def test_every_member_found_with_provenance_and_hashes(
        scanned: tuple[dict[str, Any], Path, Path], disk: ArchiveDisk) -> None:
    """Each file put into each archive on the disk (zip, renamed zip, zip64, 7z, tar.gz,
    tar.xz, docx, zip in zip in tar.gz, AES zip with the case password, RAR 5) is a member
    named `vol 0 / inode N /archive/NAME -> MEMBER`, with the inode TSK gives the archive,
    the hashes of the bytes put in and an exported copy under --out."""
    report, out, _ = scanned
    members = _by_provenance(report)
    for archive in disk.archives:
        if archive.password == OTHER_PASSWORD:
            continue
        listed = _file(report, f"/archive/{archive.name}")
        root = f"vol 0 / inode {listed['inode']} /archive/{archive.name}"
        for name, digest in archive.members.items():
            member = members.get(f"{root} -> {name}")
            assert member is not None, f"{root} -> {name} missing"
            assert member["file"] == {k: listed[k] for k in ("volume", "path", "inode")}
            if digest:
                _check(member, digest, out)
    validate_report(report)


def test_deleted_and_carved_archives_expanded(scanned: tuple[dict[str, Any], Path, Path],
                                              disk: ArchiveDisk) -> None:
    """A deleted zip's member names the deleted file; a zip found only by carving gives
    `carved at offset N -> ...` with the offset where it was written."""
    report, out, _ = scanned
    deleted = [m for m in report["members"] if m["file"] and m["file"]["path"].startswith(
        "/deleted/")]
    (name, digest), = disk.deleted.members.items()
    assert [m["name"] for m in deleted] == [name]
    assert not _file(report, deleted[0]["file"]["path"])["allocated"]
    _check(deleted[0], digest, out)
    (name, digest), = disk.carved.members.items()
    member = _by_provenance(report)[f"carved at offset {disk.carved_offset} -> {name}"]
    assert member["carved_offset"] == disk.carved_offset and member["file"] is None
    _check(member, digest, out)


def test_encryption_and_password_kept_out(scanned: tuple[dict[str, Any], Path, Path]) -> None:
    """The AES zip says a password from the case list was used; the zip whose password is
    not on the list lists its members as encrypted, not decrypted; no password is written
    anywhere under --out."""
    report, out, _ = scanned
    archives = {a["provenance"].rsplit("/", 1)[-1]: a for a in report["archives"]
                if a["member"] is None}
    assert archives["locked.zip"]["encrypted"] and archives["locked.zip"]["password_used"]
    assert archives["sealed.zip"]["encrypted"] and not archives["sealed.zip"]["password_used"]
    sealed = [m for m in report["members"] if "/archive/sealed.zip -> " in m["provenance"]]
    assert len(sealed) == 2 and all("not-decrypted" in m["findings"] for m in sealed)
    assert report["expansion"]["passwords_supplied"] is True
    for path in out.rglob("*"):
        if path.is_file():
            assert CASE_PASSWORD.encode() not in path.read_bytes(), path


def test_bombs_stopped_and_nothing_outside_out(scanned: tuple[dict[str, Any], Path, Path]
                                               ) -> None:
    """The high-ratio member and the 42.zip-style nesting stop at their limits (settings
    LCCU_ARCHIVE_MAX_RATIO and _MAX_TOTAL_BYTES) with a record and an error naming them;
    `../../x.txt`, an absolute name and a symlink are recorded, and the folder around
    --out holds nothing else."""
    report, out, work = scanned
    roots = {a["provenance"].rsplit("/", 1)[-1]: a for a in report["archives"]
             if a["member"] is None}
    assert roots["ratio-bomb.zip"]["stopped"] == "max_ratio"
    assert roots["nest-bomb.zip"]["stopped"] == "max_total_bytes"
    assert any("LCCU_ARCHIVE_MAX_TOTAL_BYTES" in e["message"] for e in report["errors"])
    findings = {m["name"]: m["findings"] for m in report["members"]}
    assert "path-traversal" in findings["../../x.txt"]
    assert "absolute-path" in findings["/tmp/lccu-absolute.txt"]
    assert "symlink" in findings["shadow-link"]
    assert report["expansion"]["limits"]["max_total_bytes"] == 24 * MIB
    outside = [p for p in (work / "jail").rglob("*") if out not in p.parents and p != out]
    assert outside == []
    assert not Path("/tmp/lccu-absolute.txt").exists()
    for member in report["members"]:
        if member["exported"]:
            assert out.resolve() in (out / member["exported"]).resolve().parents


def test_members_get_yara_and_thumbnails(scanned: tuple[dict[str, Any], Path, Path]) -> None:
    """Per-file YARA rules run on members (the hits equal the yara CLI's on the exported
    member files) and pictures inside archives are shown in report.html."""
    report, out, work = scanned
    hits = {h["member"] for h in report["yara"] if h["rule"] == "harbour_note"
            and h["source"] == "member"}
    expected = set()
    for member in report["members"]:
        if member["exported"]:
            done = subprocess.run(["yara", str(work / "harbour.yar"),
                                   str(out / member["exported"])],
                                  capture_output=True, text=True, check=True)
            if done.stdout.strip():
                expected.add(member["id"])
    assert hits == expected and len(hits) >= 3
    page = (out / "report.html").read_text("utf-8")
    assert "Inside archives and documents" in page
    assert "Picture inside vol 0 / inode" in page


def test_zip_quine_on_a_disk_ends_as_a_recursive_archive(tmp_path: Path) -> None:
    """`lccu scan` of a FAT image holding a zip quine (its member r.zip is the zip itself,
    built by lccu.testing.quine) ends quickly: the member is recorded `not-expanded-quine`
    with a "recursive archive" error line, and everything written is a few KiB under --out."""
    import shutil
    import time

    from lccu.testing.quine import zip_quine

    quine = zip_quine()
    source = tmp_path / "r.zip"
    source.write_bytes(quine)
    image = tmp_path / "quine.img"
    tools = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "MTOOLS_SKIP_CHECK": "1"}
    assert shutil.which("mkfs.vfat", path=tools["PATH"]) and shutil.which("mcopy"), \
        "dosfstools and mtools are needed"
    for command in (["mkfs.vfat", "-C", "-n", "QUINE", "--invariant", str(image), "2048"],
                    ["mcopy", "-i", str(image), str(source), "::/r.zip"]):
        subprocess.run(command, check=True, capture_output=True, env=tools, timeout=60)
    out = tmp_path / "jail" / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "lccu.cli.main", "scan", str(image),
                           "--out", str(out)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 120
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    listed = _file(report, "/r.zip")
    root = f"vol 0 / inode {listed['inode']} /r.zip"
    member = _by_provenance(report)[f"{root} -> r.zip"]
    assert member["findings"] == ["not-expanded-quine"]
    assert member["sha256"] == hashlib.sha256(quine).hexdigest()
    assert (out / member["exported"]).read_bytes() == quine
    assert not any(m["provenance"].startswith(f"{root} -> r.zip -> ")
                   for m in report["members"])
    assert any(e["where"] == f"archive {root}" and "recursive archive" in e["message"]
               and f"{root} -> r.zip" in e["message"] for e in report["errors"])
    assert "recursive archive" in done.stdout
    written = [p for p in (tmp_path / "jail").rglob("*") if p.is_file() or p.is_symlink()]
    assert all(out in p.parents for p in written)
    assert not any(p.is_symlink() for p in written)
    assert sum(p.stat().st_size for p in written) < MIB


@pytest.mark.parametrize("parts", [("sleuthkit", "image.dd"), ("pytsk", "image.raw"),
                                   ("dfvfs", "ext2.raw"), ("dfvfs", "iso9660.raw")])
def test_expansion_adds_and_changes_nothing(parts: tuple[str, str], tmp_path: Path) -> None:
    """On the shared corpus images the volumes, files, carved items and errors of a scan
    are the same with archive expansion on and off; expansion only adds its own lists."""
    from lccu.pipeline import ScanOptions, run_scan
    from lccu.testing.corpus import corpus_file

    image = corpus_file(*parts)
    on = run_scan(image, tmp_path / "on", ScanOptions(yara=False))
    off = run_scan(image, tmp_path / "off", ScanOptions(yara=False, expand=False))
    for key in ("volumes", "files", "carved"):
        assert on[key] == off[key], key
    assert on["errors"][: len(off["errors"])] == off["errors"]
    assert "members" in on and "members" not in off


def test_unreadable_password_list_is_exit_2(disk: ArchiveDisk, tmp_path: Path) -> None:
    """`lccu scan --passwords` naming a missing file exits 2 with one line naming it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    done = subprocess.run([sys.executable, "-m", "lccu.cli.main", "scan", str(disk.image),
                           "--out", str(tmp_path / "o"), "--passwords",
                           str(tmp_path / "missing.txt")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "password list" in done.stderr and "missing.txt" in done.stderr
