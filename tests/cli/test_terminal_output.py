"""Evidence- and user-supplied text reaches the terminal escaped, never as control sequences."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lccu.testing.cli import lccu_env, run_lccu

#: retitles an xterm, then returns to the line start to overwrite what was printed
HOSTILE = "\x1b]0;pwned\x07evil\rclean"
#: how it is shown instead: each control character as ⟨U+XXXX⟩
SHOWN = "\u27e8U+001B\u27e9]0;pwned\u27e8U+0007\u27e9evil\u27e8U+000D\u27e9clean"
#: a right-to-left override: "evil\u202etxt.exe" reads as "evilexe.txt"
BIDI = "\u202e"
#: what may never reach the terminal: C0 (but newline) and C1 controls, DEL, bidi controls
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def run(home: Path, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_lccu(*args, env=lccu_env(home, user=user or None))


def assert_escaped(result: subprocess.CompletedProcess[str], *shown: str) -> None:
    """The command worked, printed no control character, and shows each escaped form."""
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    assert not FORBIDDEN.findall(out), ascii(out)
    for text in shown:
        assert text in out, (text, out)


def test_yara_prints_a_hostile_file_name_escaped(tmp_path: Path) -> None:
    """`lccu yara` on an ext4 image (built by mkfs.ext4) whose file name holds an OSC title
    sequence, a carriage return and a bidi override prints the hit with the name escaped."""
    assert shutil.which("mkfs.ext4"), "mkfs.ext4 is needed (e2fsprogs)"
    tree = tmp_path / "tree"
    tree.mkdir()
    name = f"{HOSTILE}{BIDI}txt.exe"
    (tree / name).write_bytes(b"x" * 100 + b"LCCU-HOSTILE-MARKER" + b"y" * 100)
    image = tmp_path / "ext4.img"
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-d", str(tree), str(image), "4M"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    rule = tmp_path / "marker.yar"
    rule.write_text('rule marker { strings: $m = "LCCU-HOSTILE-MARKER" condition: $m }\n')
    result = run(tmp_path / "home", "yara", str(image), "--rules", str(rule))
    assert_escaped(result, f"/{SHOWN}\u27e8U+202E\u27e9txt.exe (inode")
    assert "marker" in result.stdout


@pytest.fixture(scope="module")
def hostile_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A unit whose one case has a hostile title and reference, holding an item with a
    hostile description and a hand-over with a hostile reason."""
    home = tmp_path_factory.mktemp("home")
    for args in (
        ("zone", "add", "PZ Vlas"),
        ("user", "add", "op", "--zone", "PZ Vlas", "--role", "admin"),
    ):
        assert run(home, *args).returncode == 0
    assert (
        run(
            home, "user", "add", "jan", "--zone", "PZ Vlas", "--role", "investigator", user="op"
        ).returncode
        == 0
    )
    created = run(
        home,
        "case",
        "create",
        "--title",
        f"Skimming {HOSTILE}",
        "--reference",
        f"PV {BIDI}1",
        user="jan",
    )
    assert created.returncode == 0, created.stderr
    case_id = created.stdout.strip()
    disk = home / "disk.dd"
    disk.write_bytes(os.urandom(4096))
    added = run(
        home,
        "evidence",
        "add",
        case_id,
        str(disk),
        "--description",
        f"laptop {HOSTILE}",
        user="jan",
    )
    assert added.returncode == 0, added.stderr
    noted = run(
        home,
        "custody",
        "record",
        case_id,
        "--action",
        "note",
        "--reason",
        f"seen {HOSTILE}",
        user="jan",
    )
    assert noted.returncode == 0, noted.stderr
    return home, case_id


def test_case_evidence_and_custody_listings_escape_hostile_fields(
    hostile_case: tuple[Path, str],
) -> None:
    """`case list`, `case show`, `evidence list` and `custody log` print a title, reference,
    description and reason holding control sequences with those sequences escaped."""
    home, case_id = hostile_case
    assert_escaped(run(home, "case", "list", user="jan"), "Skimming")
    assert_escaped(
        run(home, "case", "show", case_id, user="jan"),
        f"Skimming {SHOWN}",
        "PV \u27e8U+202E\u27e91",
    )
    assert_escaped(run(home, "evidence", "list", case_id, user="jan"), f"laptop {SHOWN}")
    assert_escaped(run(home, "custody", "log", case_id, user="jan"), "seen")


def test_timeline_names_a_hostile_image_file_escaped(tmp_path: Path) -> None:
    """`lccu timeline` of an image whose own file name holds an OSC title sequence and a
    carriage return says what it wrote with the name escaped (it was printed raw)."""
    assert shutil.which("mkfs.ext4"), "mkfs.ext4 is needed (e2fsprogs)"
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_bytes(b"a" * 100)
    image = tmp_path / f"seized {HOSTILE}.img"
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-d", str(tree), str(image), "4M"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    result = run(
        tmp_path / "home",
        "timeline",
        str(image),
        "--format",
        "csv",
        "-o",
        str(tmp_path / "out.csv"),
    )
    assert_escaped(result, f"seized {SHOWN}.img")
    assert "a.txt" in (tmp_path / "out.csv").read_text()
