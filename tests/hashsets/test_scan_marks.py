"""`lccu scan --hashset`: a known and a notable set made from the planted manifest mark
exactly the files with those contents, allocated, deleted and carved alike; the HTML report
puts notable files first and can hide the known ones."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lccu.report import validate_report
from lccu.testing.images import PlantedFile, PlantedManifest

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab


def pick(manifest: PlantedManifest) -> tuple[list[PlantedFile], list[PlantedFile]]:
    """(notable, known): from each, one allocated, one deleted and one carved-only file."""
    listed = [f for f in manifest.files if f.path is not None]
    allocated = [f for f in listed if not f.deleted]
    deleted = [f for f in listed if f.deleted]
    raw = [f for f in manifest.files if f.raw_offset is not None]
    notable = [allocated[1], deleted[0], raw[0]]
    known = [allocated[0], deleted[-1], raw[1]]
    assert not {f.sha256 for f in notable} & {f.sha256 for f in known}
    return notable, known


def write_sets(
    tmp: Path, notable: list[PlantedFile], known: list[PlantedFile]
) -> tuple[Path, Path]:
    """The notable files as sha256sum output, the known ones as an NSRL RDS 2.x file."""
    sums = tmp / "notable.sha256"
    sums.write_text("".join(f"{f.sha256}  {f.name}\n" for f in notable) + "not a line\n")
    nsrl = tmp / "NSRLFile.txt"
    rows = [
        '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"'
    ]
    rows += [
        f'"{f.sha1.upper()}","{f.md5.upper()}","00000000","{f.name}","{f.size}","1","1",""'
        for f in known
    ]
    nsrl.write_text("\r\n".join(rows) + "\r\n")
    return sums, nsrl


@dataclass(frozen=True)
class PlantedSets:
    """The planted files chosen as notable and known, and the set files they were written to."""

    notable: list[PlantedFile]
    known: list[PlantedFile]
    sums: Path
    nsrl: Path


def import_sets(
    admin: Lab, tmp: Path, manifest: PlantedManifest, notable_name: str = "unit notable"
) -> PlantedSets:
    """The unit's active sets as a processing run finds them: ``notable_name`` (sha256sum
    output) and "NSRL" (known), each at version 1, imported by the unit admin ``admin``."""
    notable, known = pick(manifest)
    sums, nsrl = write_sets(tmp, notable, known)
    admin.hashset_import(notable_name, sums, kind="notable")
    admin.hashset_import("NSRL", nsrl, kind="known")
    return PlantedSets(notable, known, sums, nsrl)


def expected_kinds(record: dict[str, Any], notable: set[str], known: set[str]) -> set[str]:
    return ({"notable"} if record.get("sha256") in notable else set()) | (
        {"known"} if record.get("sha256") in known else set()
    )


def check_marks(
    report: dict[str, Any], notable: list[PlantedFile], known: list[PlantedFile]
) -> None:
    """Every record carries exactly the kinds its content calls for; every chosen planted
    file is marked where it lives (allocated or deleted in files[], carved in carved[])."""
    validate_report(report)
    want_notable, want_known = {f.sha256 for f in notable}, {f.sha256 for f in known}
    records = [*report["files"], *report["carved"], *report.get("members", [])]
    for record in records:
        got = {hit["kind"] for hit in record["hashsets"]}
        assert got == expected_kinds(record, want_notable, want_known), record
    for planted in [*notable, *known]:
        kind = "notable" if planted in notable else "known"
        if planted.raw_offset is not None:
            where = [c for c in report["carved"] if c["offset"] == planted.raw_offset]
        else:
            where = [
                f
                for f in report["files"]
                if f["sha256"] == planted.sha256 and f["allocated"] is (not planted.deleted)
            ]
        assert where and all(kind in {h["kind"] for h in r["hashsets"]} for r in where), planted
    summary = report["summary"]
    assert (
        summary["notable"]
        == sum(any(h["kind"] == "notable" for h in r["hashsets"]) for r in records)
        >= 3
    )
    assert (
        summary["known"]
        == sum(any(h["kind"] == "known" for h in r["hashsets"]) for r in records)
        >= 3
    )


def env_for(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    return {**env, "LCCU_HOME": str(tmp / "home")}


@pytest.fixture(scope="module")
def scanned(
    planted_disk: PlantedManifest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Path, list[PlantedFile], list[PlantedFile]]:
    tmp = tmp_path_factory.mktemp("hashset-scan")
    notable, known = pick(planted_disk)
    sums, nsrl = write_sets(tmp, notable, known)
    out = tmp / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lccu.cli.main",
            "scan",
            str(planted_disk.image),
            "--out",
            str(out),
            "--no-yara",
            "--hashset",
            f"notable:{sums}",
            "--hashset",
            str(nsrl),
        ],
        capture_output=True,
        text=True,
        env=env_for(tmp),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"hash sets: [1-9]\d* notable, [1-9]\d* known", done.stdout), done.stdout
    return json.loads((out / "report.json").read_text()), out, notable, known


def test_scan_marks_exactly_the_planted_files(scanned: Any) -> None:
    report, _out, notable, known = scanned
    check_marks(report, notable, known)
    used = {(s["name"], s["kind"], tuple(s["hash_types"])) for s in report["hashsets"]}
    assert used == {
        ("notable.sha256", "notable", ("sha256",)),
        ("NSRLFile.txt", "known", ("md5", "sha1")),
    }
    # the unreadable line of the notable file is reported, not dropped
    assert any(
        "notable.sha256" in w["where"] and "1 row(s)" in w["message"] for w in report["warnings"]
    )


def test_html_puts_notable_first_and_can_hide_known(scanned: Any) -> None:
    _report, out, _notable, _known = scanned
    page = (out / "report.html").read_text()
    table = page[page.index('<table id="hashset-hits">') :]
    table = table[: table.index("</table>")]
    classes = re.findall(r'<tr class="(notable|known)">', table)
    assert classes and classes[0] == "notable" and "known" in classes
    assert classes == sorted(classes, key=lambda c: c != "notable")
    assert '<input type="checkbox" id="hide-known">' in page
    assert "#hide-known:checked ~ main tr.known { display: none; }" in page
    # the known rows the checkbox hides are inside <main>, after the checkbox
    assert page.index('id="hide-known"') < page.index("<main>") < page.index('class="known"')


def test_scan_without_sets_says_so(planted_disk: PlantedManifest, tmp_path: Path) -> None:
    """No --hashset and no case database: every record's hashsets is empty, no set named."""
    from lccu.pipeline import ScanOptions, run_scan

    report = run_scan(
        planted_disk.image, tmp_path / "out", ScanOptions(yara=False, carve="none", expand=False)
    )
    assert report["hashsets"] == []
    assert all(f["hashsets"] == [] for f in report["files"])
    assert report["summary"]["notable"] == report["summary"]["known"] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_scan_uses_the_case_databases_active_sets(
    make_lab: Any, lab_settings: Any, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """Without --hashset, `lccu scan` looks files up in the case database's active sets
    (the newest version of each), as a processing run would."""
    from lccu.hashsets.scanning import from_database
    from lccu.pipeline import ScanOptions, run_scan

    notable, known = pick(planted_disk)
    sums, nsrl = write_sets(tmp_path, notable, known)
    admin = make_lab("admin")
    admin.hashset_import("old list", nsrl, kind="notable")  # version 1, superseded
    admin.hashset_import("old list", sums, kind="notable")
    admin.hashset_import("NSRL", nsrl, kind="known")
    with from_database(lab_settings) as found:
        assert found is not None
        report = run_scan(
            planted_disk.image,
            tmp_path / "out",
            ScanOptions(yara=False, expand=False, hashsets=found),
        )
    assert [(s["name"], s["version"]) for s in report["hashsets"]] == [("NSRL", 1), ("old list", 2)]
    check_marks(report, notable, known)
