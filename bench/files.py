"""The file table of issue 20 at scale: one page of an item's files with 1,000,000 files in
the case database (PostgreSQL), through ``Lab.file_page`` as the web page and
``lab.files`` call it (the gate's decision and audit entry included).

    python bench/files.py [--files 1000000] [--repeat 7]

The rows are bulk-inserted into the run's file index (``file_index``, migration 0015) of
a fresh PostgreSQL schema (``LCCU_BENCH_PG``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), as indexing a run's report would
write them: paths in 1,000 directories, one file in five deleted, one in eight a
picture, one in fifty with a YARA hit, one in 997 in a "known" hash set. Each query is
timed ``--repeat`` times after one warm-up; the median is reported. Target: < 300 ms a
page.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]

from sqlalchemy import insert, text  # noqa: E402

from lccu.config import load_settings  # noqa: E402
from lccu.evidence.file_index import FileRow, IndexedRun  # noqa: E402
from lccu.evidence.file_types import mismatches  # noqa: E402
from lccu.evidence.lab import open_lab  # noqa: E402
from lccu.evidence.lab_files import FileFilter  # noqa: E402
from lccu.evidence.runstate import ProcessingRun  # noqa: E402
from lccu.testing.keys import KEY_ENV  # noqa: E402
from lccu.testing.postgres import temporary_schema  # noqa: E402

PG = os.environ.get("LCCU_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MIMES = (
    "text/plain",
    "application/octet-stream",
    "application/pdf",
    "image/jpeg",
    "application/zip",
    "text/html",
    "application/x-executable",
    "image/png",
)


#: one ``.exe`` file in this many (counted over all files) is sniffed as ELF: an extension
#: mismatch; the others as PE (agreeing). 8: every ``.exe`` (12.5 % of the files mismatch,
#: the data of the first runs); a large value makes mismatches rare, the filter's worst case
MISMATCH_EVERY = 8
#: the date range of the bench's time filters: one of the 15 years its files span
YEAR_2015 = datetime(2015, 1, 1, tzinfo=UTC)
YEAR_2016 = datetime(2016, 1, 1, tzinfo=UTC)
_SETTINGS = {"mismatch_every": MISMATCH_EVERY}


def _row(n: int, run_id: str, evidence_id: str) -> dict[str, object]:
    folder, ext = n % 1000, ("txt", "bin", "pdf", "jpg", "zip", "html", "exe", "png")[n % 8]
    mime = MIMES[n % 8]
    if ext == "exe" and (n - 6) % _SETTINGS["mismatch_every"] != 0:
        mime = "application/x-dosexec"
    name = f"file{n:07d}.{ext}"
    sha = f"{n:064x}"
    hit = n % 50 == 0
    entry = {
        "volume": 2,
        "path": f"/dir{folder:03d}/{name}",
        "inode": n + 16,
        "size": (n * 7919) % 10_000_000,
        "allocated": n % 5 != 0,
        "sha256": sha,
    }
    return {
        "run_id": run_id,
        "evidence_id": evidence_id,
        "seq": n,
        "source": "file",
        "volume": 2,
        "path": entry["path"],
        "name": name,
        "ext": ext,
        "inode": n + 16,
        "size": entry["size"],
        "allocated": entry["allocated"],
        "kind": "file",
        "mtime": f"20{10 + n % 15:02d}-0{1 + n % 9}-1{n % 10}T12:00:00+00:00",
        "md5": f"{n:032x}",
        "sha1": f"{n:040x}",
        "sha256": sha,
        "mime": mime,
        "hashset": "known" if n % 997 == 0 else None,
        "hits": 1 if hit else 0,
        "rules": "|bench_rule|" if hit else "",
        "ext_mismatch": mismatches(ext, mime),
        "entry": json.dumps(entry),
    }


def fill(lab: object, evidence_id: str, count: int) -> str:
    """A finished run of ``evidence_id`` with ``count`` indexed files; returns its id."""
    from lccu.evidence.lab import Lab

    assert isinstance(lab, Lab)
    with lab.db.session() as session:
        item_case = session.execute(
            text("SELECT case_id FROM evidence_items WHERE id = :i"), {"i": evidence_id}
        ).scalar_one()
        run = ProcessingRun(
            evidence_id=evidence_id,
            case_id=item_case,
            zone="PZ Bench",
            priority=1,
            state="done",
            submitted_by="bench",
            submitted_at="2026-12-06T00:00:00+00:00",
            report_key=f"{evidence_id}/report-bench.json",
            options="{}",
        )
        session.add(run)
        session.flush()
        run_id = str(run.id)
    started = time.perf_counter()
    batch = 10_000
    for first in range(0, count, batch):
        with lab.db.session() as session:
            session.execute(
                insert(FileRow),
                [_row(n, run_id, evidence_id) for n in range(first, min(count, first + batch))],
            )
    with lab.db.session() as session:
        session.add(
            IndexedRun(
                run_id=run_id,
                evidence_id=evidence_id,
                files=count,
                volumes=json.dumps({"2": 1048576}),
                indexed_at="2026-12-06T00:00:00+00:00",
            )
        )
    with lab.db.engine.connect() as conn:
        conn.execute(text("ANALYZE file_index"))
        conn.commit()
    print(f"inserted {count} rows in {time.perf_counter() - started:.0f} s")
    return run_id


def timed(call: object, repeat: int) -> float:
    assert callable(call)
    call()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--mismatch-every",
        type=int,
        default=MISMATCH_EVERY,
        metavar="N",
        help="one .exe file in N (counted over all files) mismatches its "
        "extension (default 8: every .exe, 12.5%% of the files; "
        "e.g. 200000 for 5 in a million, the filter's worst case)",
    )
    args = parser.parse_args()
    _SETTINGS["mismatch_every"] = max(8, args.mismatch_every)
    print(
        f"cpus: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f}, "
        f"one .exe in {_SETTINGS['mismatch_every']} mismatches"
    )
    with (
        tempfile.TemporaryDirectory(prefix="lccu-bench-files-") as home,
        temporary_schema(PG, "lccu_bench") as url,
    ):
        settings = dataclasses.replace(
            load_settings({"LCCU_HOME": home, "LCCU_DATABASE_URL": url, **KEY_ENV})
        )
        boot = open_lab(None, settings=settings)
        boot.add_zone("PZ Bench")
        boot.add_user("admin", "PZ Bench", "admin")
        open_lab("admin", settings=settings).add_user("jan", "PZ Bench", "investigator")
        lab = open_lab("jan", settings=settings)
        case = lab.create_case("Bench")
        image = Path(home) / "disk.raw"
        image.write_bytes(b"\0" * 65536)
        item = lab.add_evidence(case.id, image, description="bench")
        fill(lab, item.id, args.files)
        queries = {
            "first page, by path": (FileFilter(), "path", False, 0),
            "page 100 (offset 9,900)": (FileFilter(), "path", False, 9_900),
            "deleted pictures": (FileFilter(deleted=True, mime="image/"), "path", False, 0),
            "largest first": (FileFilter(), "size", True, 0),
            "newest first": (FileFilter(), "mtime", True, 0),
            "with YARA hits": (FileFilter(hits=True), "path", False, 0),
            "one YARA rule": (FileFilter(yara_rule="bench_rule"), "path", False, 0),
            "by SHA-256": (FileFilter(sha256=f"{123456:064x}"), "path", False, 0),
            "path contains 'file00042'": (FileFilter(name="file00042"), "path", False, 0),
            "tagged": (FileFilter(tagged=True), "path", False, 0),
            "extension mismatch": (FileFilter(ext_mismatch=True), "path", False, 0),
            "carved (none in the bench)": (FileFilter(source="carved"), "path", False, 0),
            "known (hash set, 1 in 997)": (FileFilter(hashset_kind="known"), "path", False, 0),
            "notable (none in the bench)": (FileFilter(hashset_kind="notable"), "path", False, 0),
            "size 5,000,000-5,010,000 B": (
                FileFilter(min_size=5_000_000, max_size=5_010_000),
                "path",
                False,
                0,
            ),
            "size up to 1 MB, largest first": (FileFilter(max_size=1_000_000), "size", True, 0),
            "modified in 2015": (
                FileFilter(modified_between=(YEAR_2015, YEAR_2016)),
                "path",
                False,
                0,
            ),
            "deleted pictures of 2015, newest": (
                FileFilter(deleted=True, mime="image/", modified_between=(YEAR_2015, YEAR_2016)),
                "mtime",
                True,
                0,
            ),
        }
        print(f"{args.files} files, PostgreSQL, median of {args.repeat} (ms), 100 a page:")
        for label, (filt, sort, desc, offset) in queries.items():
            found = lab.file_page(
                item.id, filt, sort=sort, descending=desc, offset=offset, limit=100
            )
            ms = timed(
                lambda f=filt, s=sort, d=desc, o=offset: lab.file_page(
                    item.id, f, sort=s, descending=d, offset=o, limit=100
                ),
                args.repeat,
            )
            print(f"  {label:32} {ms:8.1f}   ({found.total} match)")
        other = lab.add_evidence(case.id, image, description="bench, small")
        fill(lab, other.id, 10_000)
        across = {
            "case: first page, by path": (FileFilter(), "path", False, 0),
            "case: largest first": (FileFilter(), "size", True, 0),
            "case: deleted pictures": (FileFilter(deleted=True, mime="image/"), "path", False, 0),
            "case: extension mismatch": (FileFilter(ext_mismatch=True), "path", False, 0),
        }
        print("the case's table (lab.case_file_page): that item and one of 10,000 files:")
        for label, (filt, sort, desc, offset) in across.items():
            whole = lab.case_file_page(case.id, filt, sort=sort, descending=desc, limit=100)
            ms = timed(
                lambda f=filt, s=sort, d=desc, o=offset: lab.case_file_page(
                    case.id, f, sort=s, descending=d, offset=o, limit=100
                ),
                args.repeat,
            )
            print(f"  {label:32} {ms:8.1f}   ({whole.total} match)")
        print("  target: < 300 ms a page")


if __name__ == "__main__":
    main()
