"""`lccu report EVIDENCE --format html`: the exported files copied beside the page leave
lccu's store, so the copy is audited once (``report.export``: who, which item, how many
files and bytes, where to); ``--no-files`` writes the page alone, its file links as text
with a note (Dutch and English) naming the command that copies them."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import text

from lccu.tasks import submit
from lccu.testing.images import PlantedManifest
from lccu.testing.processing import drain_here
from tests.tasks.conftest import Unit

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
FILE_LINK = re.compile(r'<a href="([^"#][^"]*)"')


def exports(lab: Any, user: str) -> list[dict[str, Any]]:
    """The ``report.export`` audit entries of ``user``, oldest first."""
    with lab.db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT allowed, object_id, justification, detail FROM audit_log "
                "WHERE username = :u AND operation = 'report.export' ORDER BY seq"
            ),
            {"u": user},
        )
        return [
            {
                "allowed": bool(r[0]),
                "object_id": r[1],
                "justification": r[2],
                "detail": json.loads(r[3]) if r[3] else {},
            }
            for r in rows
        ]


def processed(unit: Unit, planted_disk: PlantedManifest) -> tuple[str, str]:
    """An item of PZ Vlas processed here (files exported, no YARA or carving): its id and
    the run's."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    run = submit(unit.lab("vlas_inv"), evidence, yara=False, carve="none", expand=False)
    drain_here(unit.lab("op"))
    return evidence, run.run_id


def files_under(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` (relative path: size)."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()
    }


@SQLITE_ONLY
def test_html_report_copies_its_files_audited_once(
    unit: Unit, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """The page's exported files are copied beside it, every link resolves, and one
    allowed ``report.export`` entry names the item, run, recipient, destination folder and
    exactly the files and bytes that were written; a user of another zone is refused,
    nothing written, audited once as refused."""
    evidence, run = processed(unit, planted_disk)
    out = tmp_path / "out"
    done = unit.cli(
        "report", evidence, "--format", "html", "--recipient", "parket Gent",
        "-o", str(out / "E1.html"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = files_under(out)
    page = written.pop("E1.html")
    assert page and len(written) >= 4, written
    links = {unquote(h) for h in FILE_LINK.findall((out / "E1.html").read_text())}
    assert links == set(written)  # every link resolves, nothing else was written
    assert f"copied {len(written)} of the {len(links)} exported file(s)" in done.stdout
    [entry] = exports(unit.lab("vlas_inv"), "vlas_inv")
    assert entry["allowed"] and entry["object_id"] == evidence
    assert entry["justification"] == "parket Gent"
    detail = entry["detail"]
    assert detail["run"] == run and detail["format"] == "html"
    assert detail["destination"] == str(out.resolve())
    assert detail["files_copied"] is True
    assert (detail["files"], detail["bytes"]) == (len(written), sum(written.values()))

    stolen = tmp_path / "stolen"
    refused = unit.cli(
        "report", evidence, "--format", "html", "-o", str(stolen / "E1.html"), user="polder_inv"
    )
    # another zone's item: as an id that names nothing (exit 2), audited as refused
    assert refused.returncode == 2, refused.stderr
    assert f"no case or evidence item '{evidence}'" in refused.stderr
    assert "PZ Vlas" not in refused.stderr
    assert not stolen.exists()
    assert [e["allowed"] for e in exports(unit.lab("polder_inv"), "polder_inv")] == [False]


@SQLITE_ONLY
def test_no_files_writes_the_page_alone(
    unit: Unit, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """``--no-files``: the folder holds the page only; no link to a file is left (each
    path is text), the page says so in Dutch and English with a command that, run as
    written there, copies them; audited once as a report without files. JSON never copies
    files and is audited the same way."""
    evidence, run = processed(unit, planted_disk)
    out = tmp_path / "out"
    done = unit.cli(
        "report", evidence, "--format", "html", "--no-files", "-o", str(out / "E1.html")
    )
    assert done.returncode == 0, done.stderr
    assert "not copied (--no-files)" in done.stdout
    assert list(files_under(out)) == ["E1.html"]
    page = (out / "E1.html").read_text()
    assert not FILE_LINK.findall(page)
    assert 'href="#summary"' in page  # the page's own sections are still linked
    report = unit.lab("vlas_inv").report(evidence)
    # the page lists deleted files (with their exported copies); each path is text now
    exported = [f["exported"] for f in report["files"] if f["exported"] and not f["allocated"]]
    assert exported and all(f'<span class="not-copied">{p}</span>' in page for p in exported)
    assert "Bestanden niet meegekopieerd" in page and "Files not copied" in page
    [entry] = exports(unit.lab("vlas_inv"), "vlas_inv")
    assert entry["allowed"] and entry["object_id"] == evidence
    detail = entry["detail"]
    assert detail["run"] == run and detail["files_copied"] is False
    assert (detail["files"], detail["bytes"]) == (0, 0) and detail["linked"] >= len(exported)

    # the command the page gives, as written there (MAP is the folder to write to)
    [shown] = re.findall(r"<code>(lccu report [^<]*MAP/[^<]*)</code>", page)
    again = tmp_path / "again"
    argv = shlex.split(shown.replace("MAP/", f"{again}/"))
    assert argv[:2] == ["lccu", "report"]
    copied = unit.cli(*argv[1:])
    assert copied.returncode == 0, copied.stderr
    assert set(files_under(again)) >= {"E1.html", *exported}

    as_json = unit.cli("report", evidence, "-o", str(tmp_path / "json" / "E1.json"))
    assert as_json.returncode == 0, as_json.stderr
    assert list(files_under(tmp_path / "json")) == ["E1.json"]
    last = exports(unit.lab("vlas_inv"), "vlas_inv")[-1]["detail"]
    assert (last["format"], last["files_copied"], last["files"]) == ("json", False, 0)
