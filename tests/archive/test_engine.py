"""The expansion engine on archives built by other tools: members, hashes, names, times."""

from __future__ import annotations

import hashlib
import re
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import magic
import pytest

from lccu.archive import Expansion, container_format, expand
from lccu.testing.archives import CASE_PASSWORD, OTHER_PASSWORD, BuiltArchive

ARROW = " -> "


def _expand(folder: Path, built: BuiltArchive, out: Path, passwords: tuple[str, ...] = (
        CASE_PASSWORD,)) -> Expansion:
    path = folder / built.name
    fmt = container_format(magic.from_file(str(path), mime=True))
    assert fmt == built.format, f"{built.name} detected as {fmt}"
    return expand(path, fmt, built.name, out / built.name, passwords=passwords)


@pytest.fixture(scope="module")
def expanded(archive_set: tuple[Path, list[BuiltArchive]],
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, Expansion]:
    folder, built = archive_set
    out = tmp_path_factory.mktemp("expanded")
    return {b.name: _expand(folder, b, out) for b in built}


def _inside(provenance: str) -> str:
    return provenance.split(ARROW, 1)[1]


def test_every_member_found_with_its_hashes(archive_set: tuple[Path, list[BuiltArchive]],
                                            expanded: dict[str, Expansion]) -> None:
    """Every file put into every archive (nested ones too, the encrypted zip opened with the
    case password) is found under its provenance with the SHA-256 of the bytes put in, and
    the written copy's MD5 and SHA-1 equal hashlib's."""
    _folder, built = archive_set
    for archive in built:
        if archive.password == OTHER_PASSWORD:
            continue
        found = {_inside(m.provenance): m for m in expanded[archive.name].members}
        for name, digest in archive.members.items():
            if not digest:
                continue
            key = name if archive.format != "pdf" or name != "image" else next(
                k for k in found if k.startswith("image-"))
            member = found.get(key)
            assert member is not None, f"{archive.name}: {name} not found in {sorted(found)}"
            assert member.sha256 == digest, f"{archive.name}: {name}"
            data = member.stored.read_bytes() if member.stored else b""
            assert member.md5 == hashlib.md5(data).hexdigest()
            assert member.sha1 == hashlib.sha1(data).hexdigest()
            assert member.size == len(data)


def _7zip_names(path: Path) -> set[str]:
    listing = subprocess.run(["7zz", "l", "-slt", "-ba", str(path)], capture_output=True,
                             text=True, check=True).stdout
    blocks = listing.split("\n\n")
    return {re.search(r"^Path = (.*)$", b, re.M).group(1)  # type: ignore[union-attr]
            for b in blocks if "Path = " in b and "Folder = +" not in b
            and not re.search(r"^Attributes = D", b, re.M)}


@pytest.mark.parametrize("name", ["plain.zip", "renamed.boo", "big64.zip", "set.7z",
                                  "setup.cab", "disc.iso", "sealed.zip"])
def test_listing_matches_7zip(name: str, archive_set: tuple[Path, list[BuiltArchive]],
                              expanded: dict[str, Expansion]) -> None:
    """The file members listed equal 7-Zip's own listing (`7zz l -slt`), encrypted zip too."""
    folder, _ = archive_set
    ours = {_inside(m.provenance) for m in expanded[name].members if m.entry.kind == "file"
            and m.depth == 1}
    assert ours == _7zip_names(folder / name)


def test_rar_members_match_unar(archive_set: tuple[Path, list[BuiltArchive]],
                                expanded: dict[str, Expansion], tmp_path: Path) -> None:
    """RAR 4 and RAR 5 members (a zip inside the RAR 5 one, opened too) have the bytes
    The Unarchiver (`unar`) extracts."""
    folder, _ = archive_set
    for name in ("rar5-zip-in-rar.rar", "rar4-unicode.rar"):
        target = tmp_path / name
        subprocess.run(["unar", "-q", "-D", "-o", str(target), str(folder / name)], check=True,
                       capture_output=True)
        theirs = {str(p.relative_to(target)): hashlib.sha256(p.read_bytes()).hexdigest()
                  for p in target.rglob("*") if p.is_file()}
        ours = {_inside(m.provenance): m.sha256 for m in expanded[name].members
                if m.depth == 1 and m.entry.kind == "file"}
        assert ours == theirs
    nested = [m for m in expanded["rar5-zip-in-rar.rar"].members if m.depth == 2]
    assert [_inside(m.provenance) for m in nested] == [
        "payload/inner.zip -> THIS_IS_INSIDE_THE_ZIP.txt"]


def test_zip_times_say_how_they_were_stored(expanded: dict[str, Expansion],
                                            archive_set: tuple[Path, list[BuiltArchive]]) -> None:
    """A zip entry with only an MS-DOS time is `local` and equals the stored fields (read
    with zipfile); one with Info-ZIP's extended timestamp is `utc` and timezone-aware."""
    folder, _ = archive_set
    with zipfile.ZipFile(folder / "plain.zip") as archive:
        stored = {i.filename: datetime(*i.date_time) for i in archive.infolist()}
    for member in expanded["plain.zip"].members:
        assert member.entry.time_kind == "local"
        assert member.entry.mtime == stored[_inside(member.provenance)]
    (member,) = expanded["renamed.boo"].members
    assert member.entry.time_kind == "utc" and member.entry.mtime is not None
    assert member.entry.mtime.utcoffset() is not None
    assert {m.entry.time_kind for m in expanded["setup.cab"].members} == {"local"}


def test_encrypted_archives(expanded: dict[str, Expansion],
                            archive_set: tuple[Path, list[BuiltArchive]],
                            tmp_path: Path) -> None:
    """An AES zip and a 7z with an encrypted member list open with the case password, which
    appears in no record; a zip whose password is not on the list is listed, marked
    encrypted and not decrypted; without the list the 7z says its member list is locked."""
    locked = expanded["locked.zip"]
    assert locked.containers[0].encrypted and locked.containers[0].password_used
    assert set(locked.members[0].findings) >= {"encrypted", "password-used"}
    assert CASE_PASSWORD not in repr(locked) + repr(expanded["hidden.7z"])
    assert expanded["hidden.7z"].members[0].sha256 is not None
    sealed = expanded["sealed.zip"]
    assert sealed.containers[0].encrypted and not sealed.containers[0].password_used
    for member in sealed.members:
        assert "not-decrypted" in member.findings and member.sha256 is None
        assert member.entry.size is not None  # the central directory still tells the size
    folder, built = archive_set
    hidden = next(b for b in built if b.name == "hidden.7z")
    closed = _expand(folder, hidden, tmp_path, passwords=())
    assert closed.members == [] and closed.containers[0].encrypted
    assert not closed.containers[0].complete and "encrypted" in closed.containers[0].problems[0]


def test_pdf_members_match_poppler(archive_set: tuple[Path, list[BuiltArchive]],
                                   expanded: dict[str, Expansion], tmp_path: Path) -> None:
    """The PDF's JPEG image stream and attached file equal what poppler's `pdfimages -j`
    and `pdfdetach -saveall` write."""
    folder, _ = archive_set
    subprocess.run(["pdfimages", "-j", str(folder / "scan.pdf"), str(tmp_path / "img")],
                   check=True)
    subprocess.run(["pdfdetach", "-saveall", "-o", str(tmp_path), str(folder / "scan.pdf")],
                   check=True)
    theirs = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir())
    assert sorted(m.sha256 for m in expanded["scan.pdf"].members) == theirs  # type: ignore[type-var]


def test_documents_give_only_embedded_parts(expanded: dict[str, Expansion]) -> None:
    """A .docx and an .odt yield their pictures, not their own XML parts."""
    for name in ("report.docx", "memo.odt"):
        names = [_inside(m.provenance) for m in expanded[name].members]
        assert names and not [n for n in names if n.endswith((".xml", ".rels", "mimetype"))]
