"""A case's timeline (issue #17): the timelines processing stored for each item, merged in
time order with each row naming its exhibit, filtered (deleted, notable = tagged or in a
notable hash set, known, type, days), counted per bucket; as a library call and as
`lccu case timeline`; another zone refused and audited once."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lccu.errors import AccessDenied
from lccu.evidence.lab import Lab
from lccu.storage import open_store
from lccu.testing.cli import lccu_env, run_lccu
from lccu.testing.images import PlantedManifest
from lccu.testing.pytest_db import unit_labs, unit_settings
from lccu.testing.time_images import FatTimesImage
from lccu.timeline.casefile import write_case_timeline
from lccu.timeline.caseview import Filters, case_page, histogram, sorted_rows, when
from lccu.timeline.stored import case_sources
from tests.hashsets.test_scan_marks import import_sets

TAGGED = "/notes.txt"


@dataclass
class Processed:
    case_id: str
    disk: str  # item id: the planted disk, processed with Europe/Brussels
    stick: str  # the FAT16 stick, processed without a zone (local, zone unknown)
    rows: dict[str, list[dict[str, str]]]  # item id -> rows of its stored timeline.csv
    notable: set[str]
    known: set[str]


def stored_rows(lab: Lab, item_id: str) -> list[dict[str, str]]:
    """The item's timeline as the item's own call finds it (independent of the case code)."""
    found, _run, result_key = lab.timeline_result(item_id)
    store = open_store(lab.settings)
    try:
        with store.open_derived(result_key) as fh:
            result = json.loads(fh.read())
        with store.open_derived(f"{found}/{result['timeline']}") as fh:
            text = fh.read().decode("utf-8", "surrogateescape")
    finally:
        store.close()
    return list(csv.DictReader(io.StringIO(text, newline="")))


Shared = tuple[Callable[..., Lab], Processed]


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory,
    planted_disk: PlantedManifest,
    fat_local_times: FatTimesImage,
) -> Iterator[Shared]:
    """One unit on SQLite with the unit's hash sets and the case: the planted disk
    (Brussels) and the FAT stick processed, /notes.txt tagged. Built once for the module,
    whose tests only read the case (the refused zone is its own user's): processing the two
    items was most of each test's time."""
    from lccu.tasks import submit
    from lccu.testing.processing import drain_here

    base = tmp_path_factory.mktemp("case-timeline")
    settings = unit_settings(base / "home", f"sqlite:///{base / 'lccu.sqlite3'}")
    with unit_labs(settings) as make_lab:
        sets = import_sets(make_lab("admin"), base, planted_disk)
        lab = make_lab("vlas_inv")
        case = lab.create_case("Case timeline")
        disk = lab.add_evidence(case.id, planted_disk.image, description="disk").id
        stick = lab.add_evidence(case.id, fat_local_times.path, description="USB stick").id
        submit(lab, disk, timezone="Europe/Brussels", yara=False, carve="none", expand=False)
        submit(lab, stick, yara=False, carve="none", expand=False)
        drain_here(lab)
        lab.tag_file(disk, TAGGED, label="relevant", note="timeline test")
        rows = {disk: stored_rows(lab, disk), stick: stored_rows(lab, stick)}
        assert rows[disk] and rows[stick]
        notable, known = {f.sha256 for f in sets.notable}, {f.sha256 for f in sets.known}
        yield make_lab, Processed(case.id, disk, stick, rows, notable, known)


@pytest.fixture
def make_lab(shared: Shared) -> Callable[..., Lab]:
    return shared[0]


@pytest.fixture
def processed(shared: Shared) -> Processed:
    return shared[1]


def _plain(row: dict[str, str]) -> tuple[str, ...]:
    """A row without the case columns, to compare with the item's stored rows."""
    from lccu.timeline.csvfile import HEADER

    return tuple(row[c] for c in HEADER)


@pytest.mark.slow
def test_merged_rows_name_their_item_in_time_order(
    make_lab: Callable[..., Lab], processed: Processed
) -> None:
    """Every stored row of every item comes out once, naming its exhibit, in time order;
    the page counts, histogram and notable/known/deleted filters agree with the rows."""
    lab = make_lab("vlas_inv")
    found = lab.case_timelines(processed.case_id)
    assert [i.evidence_id for i in found.items] == [processed.disk, processed.stick]
    assert found.missing == []
    store = open_store(lab.settings)
    try:
        sources = case_sources(found, store.open_derived)
        merged = list(sorted_rows(sources, run_rows=50))  # several spilled runs merged
        page = case_page(sources, Filters(), 0, 10)
        notable = case_page(sources, Filters(mark="notable"), 0, 100_000)
        known = case_page(sources, Filters(mark="known"), 0, 100_000)
        deleted = case_page(sources, Filters(deleted="yes"), 0, 100_000)
        texts = case_page(sources, Filters(mime="text/"), 0, 100_000)
    finally:
        store.close()
    exhibits = {i.evidence_id: i.exhibit_number for i in found.items}
    assert Counter((r["evidence_id"], _plain(r)) for r in merged) == Counter(
        (item, _plain(r)) for item, rows in processed.rows.items() for r in rows
    )
    assert all(r["exhibit"] == exhibits[r["evidence_id"]] for r in merged)
    keys = [when(r) for r in merged]
    assert keys == sorted(keys)
    every = [r for rows in processed.rows.values() for r in rows]
    assert page.total == len(every) and len(page.rows) == 10
    assert [when(r) for r in page.rows] == keys[:10]
    assert sum(b.count for b in page.histogram.bars) == len(every)
    assert page.local_unknown == sum(r["time_kind"] == "local-unknown" for r in every) > 0

    def expected(test: Callable[[dict[str, str]], bool]) -> Counter[tuple[str, ...]]:
        return Counter(_plain(r) for r in every if test(r))

    assert Counter(_plain(r) for r in notable.rows) == expected(
        lambda r: r["path"] == TAGGED or r["sha256"] in processed.notable
    )
    assert any(r["path"] == TAGGED for r in notable.rows)
    assert any(r["sha256"] in processed.notable for r in notable.rows)
    assert (
        Counter(_plain(r) for r in known.rows)
        == expected(lambda r: bool(r["sha256"]) and r["sha256"] in processed.known)
        != Counter()
    )
    assert Counter(_plain(r) for r in deleted.rows) == expected(lambda r: r["deleted"] == "yes")
    assert any(r["evidence_id"] == processed.stick for r in deleted.rows)  # GONE.TXT
    assert texts.total > 0 and all(r["mime"].startswith("text/") for r in texts.rows)
    assert dict(texts.types)["text/plain"] >= sum(r["mime"] == "text/plain" for r in texts.rows)


def test_histogram_buckets_are_continuous() -> None:
    """Counts per day while the span is short, per month or year when long; empty buckets
    in between are kept, so the bars are a time axis."""
    days = histogram({"2024-01-30": 2, "2024-02-02": 1})
    assert days.unit == "day"
    assert [(b.label, b.count) for b in days.bars] == [
        ("2024-01-30", 2),
        ("2024-01-31", 0),
        ("2024-02-01", 0),
        ("2024-02-02", 1),
    ]
    months = histogram({"2023-11-05": 1, "2024-02-29": 3, "": 9})
    assert months.unit == "month"
    assert [(b.label, b.start, b.end, b.count) for b in months.bars] == [
        ("2023-11", "2023-11-01", "2023-11-30", 1),
        ("2023-12", "2023-12-01", "2023-12-31", 0),
        ("2024-01", "2024-01-01", "2024-01-31", 0),
        ("2024-02", "2024-02-01", "2024-02-29", 3),
    ]
    years = histogram({"1980-01-01": 1, "2024-06-01": 1})
    assert years.unit == "year" and len(years.bars) == 45 and years.peak == 1


@pytest.mark.slow
def test_another_zone_is_refused_once(make_lab: Callable[..., Lab], processed: Processed) -> None:
    """A Polder investigator cannot list the Vlas case's timelines: refused, audited once."""
    other = make_lab("polder_inv")
    with pytest.raises(AccessDenied):
        other.case_timelines(processed.case_id)
    denied = [
        e for e in make_lab("dpo").audit_log() if e.username == "polder_inv" and not e.allowed
    ]
    assert len(denied) == 1 and denied[0].operation == "derived.read"


@pytest.mark.slow
def test_cli_writes_csv_and_refuses_timesketch_with_unknown_zone(
    make_lab: Callable[..., Lab], processed: Processed, tmp_path: Path
) -> None:
    """`lccu case timeline` writes the merged CSV (formula-guarded, exhibit named); JSONL is
    refused (exit 2, no file) while an item has local times of unknown zone, and a case of
    instants only gives events with the fields Timesketch requires."""
    home = make_lab("vlas_inv").settings.home
    env = lccu_env(
        home, user="vlas_inv", LCCU_DATABASE_URL=make_lab("vlas_inv").settings.database_url
    )

    def lccu(*args: str) -> subprocess.CompletedProcess[str]:
        return run_lccu(*args, env=env, timeout=300)

    out = tmp_path / "case.csv"
    done = lccu("case", "timeline", processed.case_id, "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(), newline="")))
    assert len(rows) == sum(len(r) for r in processed.rows.values())
    assert f"{len(rows)} events from 2 item(s)" in done.stderr
    assert [when(r) for r in rows] == sorted(when(r) for r in rows)
    only_deleted = lccu("case", "timeline", processed.case_id, "--deleted", "yes", "-o", "-")
    assert only_deleted.returncode == 0, only_deleted.stderr
    shown = list(csv.DictReader(io.StringIO(only_deleted.stdout, newline="")))
    assert shown and all(r["deleted"] == "yes" for r in shown)

    refused = tmp_path / "case.jsonl"
    answer = lccu("case", "timeline", processed.case_id, "--format", "jsonl", "-o", str(refused))
    assert answer.returncode == 2, answer.stderr
    assert "unknown zone" in answer.stderr and not refused.exists()
    assert not list(tmp_path.glob(".case.jsonl.*"))

    lab = make_lab("vlas_inv")
    found = lab.case_timelines(processed.case_id)
    store = open_store(lab.settings)
    try:
        disk_only = [
            s for s in case_sources(found, store.open_derived) if s.evidence_id == processed.disk
        ]
        text = io.StringIO()
        count = write_case_timeline(disk_only, text, "jsonl")
    finally:
        store.close()
    events = [json.loads(line) for line in text.getvalue().splitlines()]
    assert count == len(events) == len(processed.rows[processed.disk])
    for event in events:
        assert {"message", "datetime", "timestamp_desc", "timestamp"} <= set(event)
        assert event["exhibit"] in event["message"] and event["evidence_id"] == processed.disk
    assert any(e["notable"] and e["path"] == TAGGED for e in events)
