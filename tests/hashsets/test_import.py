"""Importing each hash set format (files made here), malformed rows counted, versions,
removal, and who may do it (audited); SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lccu.errors import AccessDenied, InvalidInput, NotFound
from lccu.evidence.lab import Lab
from lccu.hashsets.formats import detect


def _hashes(data: bytes) -> dict[str, str]:
    return {a: hashlib.new(a, data).hexdigest() for a in ("md5", "sha1", "sha256")}


CONTENTS = [f"file number {i}\n".encode() for i in range(5)]
H = [_hashes(c) for c in CONTENTS]


def _found(lab: Lab, name: str, algorithm: str, values: list[str]) -> dict[str, set[Any]]:
    """Which of ``values`` (hex of ``algorithm``) the active version of ``name`` holds."""
    info = lab.hashset_show(name)
    got = lab.hashsets.lookup(info.ref(), [bytes.fromhex(v) for v in values])
    return {k.hex(): v for k, v in got.items()}


def _nsrl2(path: Path) -> Path:
    lines = [
        '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"'
    ]
    for i, h in enumerate(H[:3]):
        lines.append(
            f'"{h["sha1"].upper()}","{h["md5"].upper()}","0000ABCD",'
            f'"name, with comma {i}.dll","{len(CONTENTS[i])}","1234","189",""'
        )
    lines.append('"NOT-A-SHA1","00","0","x","1","1","1",""')  # malformed hash
    lines.append('"ONLY","THREE","FIELDS"')  # malformed row
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _nsrl3(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, "
        "md5 VARCHAR NOT NULL, crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, "
        "file_size INTEGER NOT NULL, package_id INTEGER NOT NULL)"
    )
    db.execute("CREATE TABLE PKG (package_id INTEGER, name VARCHAR)")
    for i, h in enumerate(H[:4]):
        db.execute(
            "INSERT INTO FILE VALUES (?,?,?,?,?,?,?)",
            (
                h["sha256"].upper(),
                h["sha1"].upper(),
                h["md5"].upper(),
                "00000000",
                f"f{i}.exe",
                len(CONTENTS[i]),
                7,
            ),
        )
    db.execute("INSERT INTO FILE VALUES ('XYZ', 'XYZ', 'XYZ', '0', 'bad', 1, 7)")
    db.commit()
    db.close()
    return path


def _vics(path: Path) -> Path:
    media = [
        {
            "MediaID": i + 1,
            "Category": i % 2 + 1,
            "MD5": H[i]["md5"].upper(),
            "SHA1": H[i]["sha1"].upper(),
            "MediaSize": len(CONTENTS[i]),
            "RelativeFilePath": f"x\\{i}.jpg",
        }
        for i in range(3)
    ]
    media.append({"MediaID": 9, "Category": 1, "MD5": "12345"})  # malformed
    doc = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml"
        "/Default/$metadata#Media",
        "value": media,
    }
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def _vics_cases(path: Path) -> Path:
    doc = {
        "odata.metadata": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/1.3.xml#Cases",
        "value": [
            {
                "CaseNumber": "2019-1",
                "Media": [
                    {"MediaID": 1, "Category": 3, "SHA1": H[3]["sha1"]},
                    {"MediaID": 2, "Category": 2, "MD5": "not hex at all, not at all, not...."},
                ],
            },
            {"CaseNumber": "2019-2", "Media": [{"MediaID": 1, "Category": 0, "MD5": H[4]["md5"]}]},
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _sums(path: Path, algorithm: str) -> Path:
    lines = [
        f"{H[0][algorithm]}  a.txt",
        f"{H[1][algorithm].upper()} *b.bin",
        f"\\{H[2][algorithm]}  c\\nd.txt",
        "",
        "this is not a sum line",
    ]
    if algorithm == "sha256":
        lines.append(f"SHA256 (e.txt) = {H[3]['sha256']}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _hashdeep(path: Path) -> Path:
    lines = [
        "%%%% HASHDEEP-1.0",
        "%%%% size,md5,sha256,filename",
        "## Invoked from: /home/examiner",
        "## $ hashdeep -r evidence",
        "##",
    ]
    for i in range(3):
        lines.append(
            f"{len(CONTENTS[i])},{H[i]['md5']},{H[i]['sha256']},"
            f"/home/examiner/evidence/a, b {i}.txt"
        )
    lines.append("12,zzzz,yyyy,/bad/line.txt")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_each_format_imports_with_malformed_rows_counted(
    make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """NSRL 2.x CSV (header, quoted fields with commas), RDSv3 SQLite (FILE table), VICS
    JSON 2.0 and 1.x (categories), md5sum, sha1sum, sha256sum and hashdeep: every good row
    is found by every hash it gives, every bad row is counted, none is dropped silently."""
    op = make_lab("admin")
    cases = [  # name, file, kind, format detected, entries, malformed, algorithm -> rows
        (
            "nsrl2",
            _nsrl2(tmp_path / "NSRLFile.txt"),
            "known",
            "nsrl-rds2",
            3,
            2,
            {"sha1": [0, 1, 2], "md5": [0, 1, 2]},
        ),
        (
            "nsrl3",
            _nsrl3(tmp_path / "RDS_modern.db"),
            "known",
            "nsrl-rds3",
            4,
            1,
            {"sha256": [0, 1, 2, 3], "sha1": [0, 1, 2, 3], "md5": [0, 1, 2, 3]},
        ),
        (
            "vics",
            _vics(tmp_path / "vics.json"),
            "notable",
            "vics",
            3,
            1,
            {"md5": [0, 1, 2], "sha1": [0, 1, 2]},
        ),
        (
            "vics1",
            _vics_cases(tmp_path / "cases.json"),
            "notable",
            "vics",
            2,
            1,
            {"sha1": [3], "md5": [4]},
        ),
        ("md5", _sums(tmp_path / "x.md5", "md5"), "notable", "md5sum", 3, 1, {"md5": [0, 1, 2]}),
        (
            "sha1",
            _sums(tmp_path / "x.sha1", "sha1"),
            "notable",
            "sha1sum",
            3,
            1,
            {"sha1": [0, 1, 2]},
        ),
        (
            "sha256",
            _sums(tmp_path / "x.sha256", "sha256"),
            "notable",
            "sha256sum",
            4,
            1,
            {"sha256": [0, 1, 2, 3]},
        ),
        (
            "hashdeep",
            _hashdeep(tmp_path / "hd.txt"),
            "notable",
            "hashdeep",
            3,
            1,
            {"md5": [0, 1, 2], "sha256": [0, 1, 2]},
        ),
    ]
    for name, path, kind, fmt, entries, malformed, present in cases:
        assert detect(path) == fmt, name
        read: list[int] = []
        info = op.hashset_import(name, path, kind=kind, progress=read.append)
        assert sum(read) == path.stat().st_size, name  # the progress bar ends at 100%
        assert (info.format, info.entries, info.malformed) == (fmt, entries, malformed), name
        assert info.version == 1 and info.state == "ready" and info.active
        assert info.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert len(info.malformed_examples) == malformed
        assert info.hash_types == [a for a in ("md5", "sha1", "sha256") if a in present]
        for algorithm, rows in present.items():
            want = [H[i][algorithm] for i in rows]
            absent = [h[algorithm] for i, h in enumerate(H) if i not in rows]
            found = _found(op, name, algorithm, want + absent)
            assert set(found) == set(want), (name, algorithm)
    vics = _found(op, "vics", "md5", [H[0]["md5"], H[1]["md5"]])
    assert vics == {H[0]["md5"]: {"1"}, H[1]["md5"]: {"2"}}
    assert _found(op, "vics1", "sha1", [H[3]["sha1"]]) == {H[3]["sha1"]: {"3"}}
    assert _found(op, "nsrl2", "md5", [H[0]["md5"]]) == {H[0]["md5"]: {None}}
    # a set only has the hash types it gives: an md5sum set is not asked for SHA-256
    assert _found(op, "md5", "sha256", [H[0]["sha256"]]) == {}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reimport_is_a_new_version_and_remove(make_lab: Callable[..., Lab], tmp_path: Path) -> None:
    """A re-import is version 2 and becomes the active one; version 1 stays until removed;
    removing drops its hashes table; an unknown set or version is NotFound."""
    op = make_lab("admin")
    first = op.hashset_import("bad files", _sums(tmp_path / "a.md5", "md5"), kind="notable")
    (tmp_path / "b.md5").write_text(f"{H[4]['md5']}  e.txt\n")
    second = op.hashset_import(
        "bad files", tmp_path / "b.md5", kind="notable", description="second drop"
    )
    assert (first.version, second.version) == (1, 2)
    assert [s.version for s in op.hashset_list()] == [2]
    assert [(s.version, s.active) for s in op.hashset_list(all_versions=True)] == [
        (1, False),
        (2, True),
    ]
    assert set(_found(op, "bad files", "md5", [H[0]["md5"], H[4]["md5"]])) == {H[4]["md5"]}
    old = op.hashset_show("bad files", 1)
    assert set(op.hashsets.lookup(old.ref(), [bytes.fromhex(H[0]["md5"])])) == {
        bytes.fromhex(H[0]["md5"])
    }
    assert [r.version for r in op.hashset_remove("bad files", 1)] == [1]
    with op.db.engine.connect() as conn:
        tables = {
            r[0]
            for r in conn.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type='table' "
                    "AND name LIKE 'hashset_rows_%'"
                )
            )
        }
    assert tables == {f"hashset_rows_{second.id}"}
    with pytest.raises(NotFound):
        op.hashset_show("bad files", 1)
    op.hashset_remove("bad files")
    assert op.hashset_list(all_versions=True) == []
    with pytest.raises(NotFound):
        op.hashset_remove("bad files")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_input_is_refused_and_leaves_nothing(
    make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """A file of no known format, a missing file, a truncated VICS document: InvalidInput,
    and no half-imported version is left behind."""
    op = make_lab("admin")
    (tmp_path / "junk.bin").write_bytes(b"\x00\x01 nothing to see")
    with pytest.raises(InvalidInput, match="--format"):
        op.hashset_import("junk", tmp_path / "junk.bin", kind="notable")
    with pytest.raises(InvalidInput, match="does not exist"):
        op.hashset_import("junk", tmp_path / "missing.txt", kind="notable")
    whole = _vics(tmp_path / "v.json").read_text()
    (tmp_path / "cut.json").write_text(whole[: len(whole) // 2])
    with pytest.raises(InvalidInput, match="not VICS JSON"):
        op.hashset_import("cut", tmp_path / "cut.json", kind="notable")
    with pytest.raises(InvalidInput, match="printable"):
        op.hashset_import("a\x1b[31mname", tmp_path / "v.json", kind="notable")
    assert op.hashset_list(all_versions=True) == []
    with op.db.engine.connect() as conn:
        assert not list(
            conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'hashset_rows_%'"))
        )


def _audit(lab: Lab, operation: str) -> list[tuple[str, bool, str | None]]:
    with lab.db.engine.connect() as conn:
        return [
            (r[0], bool(r[1]), r[2])
            for r in conn.execute(
                text(
                    "SELECT username, allowed, detail FROM audit_log "
                    "WHERE operation = :o ORDER BY seq"
                ),
                {"o": operation},
            )
        ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_only_the_unit_admin_manages_sets_and_every_change_is_audited(
    make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """An investigator may list and read the sets but neither import nor remove one, nor
    may a zone operator import one (each refusal audited); the unit admin's import and
    removal are audited with the version."""
    op, inv = make_lab("admin"), make_lab("vlas_inv")
    path = _sums(tmp_path / "a.md5", "md5")
    with pytest.raises(AccessDenied):
        inv.hashset_import("mine", path, kind="notable")
    with pytest.raises(AccessDenied, match="unit admin"):
        make_lab("op").hashset_import("zone's own", path, kind="notable")
    op.hashset_import("unit", path, kind="notable")
    assert [s.name for s in inv.hashset_list()] == ["unit"]
    with pytest.raises(AccessDenied):
        inv.hashset_remove("unit")
    op.hashset_remove("unit")
    imports = _audit(op, "hashset.import")
    assert [(u, a) for u, a, _ in imports] == [("vlas_inv", False), ("op", False),
                                               ("admin", True)]
    assert json.loads(imports[2][2] or "{}")["version"] == 1
    assert json.loads(imports[2][2] or "{}")["malformed"] == 1
    removes = _audit(op, "hashset.remove")
    assert [(u, a) for u, a, _ in removes] == [("vlas_inv", False), ("admin", True)]
    assert json.loads(removes[1][2] or "{}")["versions"] == [1]
