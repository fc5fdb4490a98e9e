"""The source time zone of an evidence item: given at intake, changed later with a reason,
both as signed custody events; processing and timelines of the item use it."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lccu.testing.cli import lccu_env, run_lccu
from lccu.testing.time_images import FatTimesImage


class Cli:
    def __init__(self, home: Path, **extra: str) -> None:
        self.env = lccu_env(home, **extra)

    def __call__(self, *args: str, user: str | None = "jan") -> subprocess.CompletedProcess[str]:
        env = {**self.env, "LCCU_USER": user} if user else self.env
        return run_lccu(*args, env=env, timeout=300)


@pytest.fixture(scope="module")
def unit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, str]:
    """One unit and case for the module; PZ Vlas's default source zone is Brussels."""
    home = tmp_path_factory.mktemp("home")
    cli = Cli(home, LCCU_ZONE_SOURCE_TIMEZONES="PZ Vlas=Europe/Brussels")
    assert cli("zone", "add", "PZ Vlas", user=None).returncode == 0
    assert (
        cli("user", "add", "op", "--zone", "PZ Vlas", "--role", "admin", user=None).returncode == 0
    )
    assert (
        cli(
            "user", "add", "jan", "--zone", "PZ Vlas", "--role", "investigator", user="op"
        ).returncode
        == 0
    )
    created = cli("case", "create", "--title", "Skimming", "--reference", "PV 1")
    assert created.returncode == 0, created.stderr
    return cli, created.stdout.strip()


def _show(cli: Cli, item: str) -> dict:
    shown = cli("evidence", "show", item)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def _zone_events(cli: Cli, case: str) -> list[dict]:
    log = cli("custody", "log", case, "--json")
    assert log.returncode == 0, log.stderr
    return [
        e
        for e in json.loads(log.stdout)
        if (e.get("details") or {}).get("event") == "source-timezone"
    ]


def test_zone_at_intake_and_change_are_custody_events(
    unit: tuple[Cli, str], fat_local_times: FatTimesImage
) -> None:
    """evidence add --timezone records a signed note; evidence timezone changes it with the
    reason and the zone it replaces; custody still verifies; a change without a reason or
    to an unknown zone is refused (exit 2)."""
    cli, case = unit
    added = cli(
        "evidence",
        "add",
        case,
        str(fat_local_times.path),
        "--description",
        "stick",
        "--timezone",
        "Europe/Paris",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    item = json.loads(added.stdout)["id"]
    shown = _show(cli, item)
    assert (shown["source_timezone"], shown["source_timezone_origin"]) == ("Europe/Paris", "item")
    changed = cli(
        "evidence", "timezone", item, "Europe/London", "--reason", "BIOS clock set to UK time"
    )
    assert changed.returncode == 0, changed.stderr
    events = [e for e in _zone_events(cli, case) if e["evidence_id"] == item]
    assert [
        (e["details"]["source_timezone"], e["details"].get("previous"), e["reason"], e["actor"])
        for e in events
    ] == [
        ("Europe/Paris", None, "source time zone given at intake", "jan"),
        ("Europe/London", "Europe/Paris", "BIOS clock set to UK time", "jan"),
    ]
    assert _show(cli, item)["source_timezone"] == "Europe/London"
    assert cli("custody", "verify", case).returncode == 0
    no_reason = cli("evidence", "timezone", item, "UTC")
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    unknown = cli("evidence", "timezone", item, "Mars/Olympus", "--reason", "x")
    assert unknown.returncode == 2 and "unknown time zone" in unknown.stderr
    assert len([e for e in _zone_events(cli, case) if e["evidence_id"] == item]) == 2


def test_bad_zone_at_intake_stores_nothing(
    unit: tuple[Cli, str], fat_local_times: FatTimesImage
) -> None:
    """An unknown --timezone on evidence add is refused before the image is stored."""
    cli, case = unit
    before = json.loads(cli("evidence", "list", case, "--json").stdout)
    refused = cli(
        "evidence",
        "add",
        case,
        str(fat_local_times.path),
        "--description",
        "x",
        "--timezone",
        "Europe/Brusels",
    )
    assert refused.returncode == 2 and "unknown time zone" in refused.stderr
    assert json.loads(cli("evidence", "list", case, "--json").stdout) == before


def test_settings_default_and_processing_use_the_item_zone(
    unit: tuple[Cli, str], tmp_path: Path, fat_local_times: FatTimesImage
) -> None:
    """Without a recorded zone the police zone's default from the settings applies; the
    processing report and `lccu timeline EVIDENCE` convert FAT times with the item's zone
    (the bodyfile equals fls -z of that zone)."""
    cli, case = unit
    added = cli(
        "evidence", "add", case, str(fat_local_times.path), "--description", "stick", "--json"
    )
    item = json.loads(added.stdout)["id"]
    shown = _show(cli, item)
    assert (shown["source_timezone"], shown["source_timezone_origin"]) == (
        "Europe/Brussels",
        "zone default",
    )
    processed = cli("process", item, "--no-yara", "--carve", "none")
    assert processed.returncode == 0, processed.stderr
    report_path = tmp_path / "report.json"
    assert cli("report", item, "--format", "json", "-o", str(report_path)).returncode == 0
    report = json.loads(report_path.read_text())
    assert report["source_timezone"] == "Europe/Brussels"
    winter = next(f for f in report["files"] if f["path"] == "/WINTER.TXT")
    assert winter["mtime"]["utc"] == "2024-01-15T13:00:00+00:00"
    stored = list(Path(cli.env["LCCU_HOME"]).glob("evidence/**/timeline.csv"))
    assert len(stored) == 1  # the timeline stage's CSV, beside the report in derived/<item>/
    rows = list(csv.DictReader(stored[0].open()))
    winter_m = next(r for r in rows if r["path"] == "/WINTER.TXT" and r["macb"] == "m")
    content = subprocess.run(
        ["mtype", "-i", str(fat_local_times.path), "::/WINTER.TXT"],
        capture_output=True,
        check=True,
        env={**os.environ, "MTOOLS_SKIP_CHECK": "1"},
    ).stdout
    assert (winter_m["utc"], winter_m["zone"]) == ("2024-01-15T13:00:00+00:00", "Europe/Brussels")
    assert winter_m["sha256"] == hashlib.sha256(content).hexdigest()
    body = tmp_path / "item.body"
    made = cli("timeline", item, "--format", "bodyfile", "-o", str(body))
    assert made.returncode == 0, made.stderr
    fls = subprocess.run(
        [
            shutil.which("fls") or "fls",
            "-m",
            "/",
            "-r",
            "-z",
            "Europe/Brussels",
            str(fat_local_times.path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert sorted(body.read_text().splitlines()) == sorted(fls.splitlines())


@pytest.mark.parametrize("value", ["Mars/Olympus", "PZ Vlas"])
def test_bad_zone_settings_are_config_errors(tmp_path: Path, value: str) -> None:
    """An unknown IANA name, or a pair without '=', in the settings is exit 2 naming it."""
    cli = Cli(tmp_path, LCCU_ZONE_SOURCE_TIMEZONES=value)
    result = cli("config", "show")
    assert result.returncode == 2 and "LCCU_ZONE_SOURCE_TIMEZONES" in result.stderr


def test_process_timezone_option_overrides_the_item_zone(
    unit: tuple[Cli, str], tmp_path: Path, fat_local_times: FatTimesImage
) -> None:
    """`lccu process ITEM --timezone UTC` converts with UTC for that run although the item's
    zone (the police zone's default) is Brussels: the FAT wall clock 14:00 is 14:00 UTC in
    the report and the stored timeline; the item's own zone is left as it was."""
    cli, case = unit
    added = cli(
        "evidence", "add", case, str(fat_local_times.path), "--description", "stick", "--json"
    )
    item = json.loads(added.stdout)["id"]
    processed = cli("process", item, "--no-yara", "--carve", "none", "--timezone", "UTC")
    assert processed.returncode == 0, processed.stderr
    report_path = tmp_path / "report.json"
    assert cli("report", item, "--format", "json", "-o", str(report_path)).returncode == 0
    report = json.loads(report_path.read_text())
    assert report["source_timezone"] == "UTC"
    winter = next(f for f in report["files"] if f["path"] == "/WINTER.TXT")["mtime"]
    assert (winter["utc"], winter["kind"], winter["zone"]) == (
        "2024-01-15T14:00:00+00:00",
        "local",
        "UTC",
    )
    assert _show(cli, item)["source_timezone"] == "Europe/Brussels"
    refused = cli("process", item, "--timezone", "Europe/Brusels")
    assert refused.returncode == 2 and "unknown time zone" in refused.stderr


def test_scan_timezone_option(tmp_path: Path, fat_local_times: FatTimesImage) -> None:
    """`lccu scan IMAGE --timezone Europe/Brussels` gives the winter file (14:00 CET) as
    13:00 UTC in report.json; without it (and no LCCU_SOURCE_TIMEZONE) the same time is
    local, zone unknown with no UTC value; an unknown zone is refused before scanning."""
    cli = Cli(tmp_path / "home")
    reports = {}
    for zone in ("Europe/Brussels", None):
        out = tmp_path / f"scan-{zone or 'none'}".replace("/", "_")
        args = [
            "scan",
            str(fat_local_times.path),
            "--out",
            str(out),
            "--no-yara",
            "--carve",
            "none",
            "--no-hashsets",
        ] + (["--timezone", zone] if zone else [])
        result = cli(*args, user=None)
        assert result.returncode == 0, result.stderr
        reports[zone] = json.loads((out / "report.json").read_text())
    winter = {
        zone: next(f for f in r["files"] if f["path"] == "/WINTER.TXT")["mtime"]
        for zone, r in reports.items()
    }
    assert reports["Europe/Brussels"]["source_timezone"] == "Europe/Brussels"
    assert winter["Europe/Brussels"]["utc"] == "2024-01-15T13:00:00+00:00"
    assert reports[None]["source_timezone"] is None
    assert (winter[None]["utc"], winter[None]["kind"]) == (None, "local-unknown")
    bad = cli(
        "scan",
        str(fat_local_times.path),
        "--out",
        str(tmp_path / "bad"),
        "--timezone",
        "Mars/Olympus",
        user=None,
    )
    assert bad.returncode == 2 and "unknown time zone" in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_unit_default_applies_without_a_zone_default(
    tmp_path: Path, fat_local_times: FatTimesImage
) -> None:
    """A police zone without its own default takes the unit's (LCCU_SOURCE_TIMEZONE); the
    zone's own default, where set, wins over it."""
    cli = Cli(
        tmp_path,
        LCCU_SOURCE_TIMEZONE="Europe/Amsterdam",
        LCCU_ZONE_SOURCE_TIMEZONES="PZ Vlas=Europe/Brussels",
    )
    for zone in ("PZ Vlas", "PZ Polder"):
        assert cli("zone", "add", zone, user=None).returncode == 0
    assert (
        cli("user", "add", "op", "--zone", "PZ Vlas", "--role", "admin", user=None).returncode == 0
    )
    for zone, user in (("PZ Vlas", "jan"), ("PZ Polder", "piet")):
        made = cli("user", "add", user, "--zone", zone, "--role", "investigator", user="op")
        assert made.returncode == 0, made.stderr
    origins = {}
    for user in ("jan", "piet"):
        case = cli("case", "create", "--title", "t", "--reference", "PV", user=user).stdout.strip()
        added = cli(
            "evidence",
            "add",
            case,
            str(fat_local_times.path),
            "--description",
            "stick",
            "--json",
            user=user,
        )
        assert added.returncode == 0, added.stderr
        shown = cli("evidence", "show", json.loads(added.stdout)["id"], user=user)
        origins[user] = (
            json.loads(shown.stdout)["source_timezone"],
            json.loads(shown.stdout)["source_timezone_origin"],
        )
    assert origins == {
        "jan": ("Europe/Brussels", "zone default"),
        "piet": ("Europe/Amsterdam", "unit default"),
    }
