"""The `lccu` command as a user types it: exit codes, one-line errors, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from lccu.testing.cli import lccu_env, run_lccu


class Cli:
    def __init__(self, home: Path) -> None:
        self.home = home

    def __call__(self, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_lccu(*args, env=lccu_env(self.home, user=user or None))


@pytest.fixture(scope="module")
def unit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, str, Path]:
    """A unit bootstrapped through the CLI, with one case holding one item."""
    home = tmp_path_factory.mktemp("home")
    cli = Cli(home)
    for args in (
        ("zone", "add", "PZ Vlas"),
        ("zone", "add", "PZ Westkust"),
        ("user", "add", "admin", "--zone", "PZ Vlas", "--role", "admin"),
    ):
        assert cli(*args).returncode == 0
    for name, zone, role in (
        ("op", "PZ Vlas", "operator"),
        ("jan", "PZ Vlas", "investigator"),
        ("els", "PZ Westkust", "analyst"),
        ("dpo", "PZ Vlas", "dpo"),
    ):
        assert (
            cli("user", "add", name, "--zone", zone, "--role", role, user="admin").returncode == 0
        )
    created = cli("case", "create", "--title", "Skimming", "--reference", "PV 1", user="jan")
    assert created.returncode == 0, created.stderr
    case_id = created.stdout.strip()
    image = home / "stick.dd"
    image.write_bytes(os.urandom(64 * 1024))
    added = cli("evidence", "add", case_id, str(image), "--description", "USB stick", user="jan")
    assert added.returncode == 0, added.stderr
    return cli, case_id, home


def _one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("lccu: error:"), result.stderr


def test_verify_export_roundtrip(unit: tuple[Cli, str, Path]) -> None:
    """verify CASE, export -o FILE and verify --file all exit 0 and agree on the head."""
    cli, case_id, home = unit
    assert cli("custody", "verify", case_id, user="jan").returncode == 0
    out = home / "export.jsonl"
    exported = cli("custody", "export", case_id, "-o", str(out), user="jan")
    assert exported.returncode == 0
    head = exported.stdout.split("head #")[1].split()[1]
    checked = cli("custody", "verify", "--file", str(out), "--head", head, "--json")
    assert checked.returncode == 0
    assert json.loads(checked.stdout)["head_hash"] == head


def test_tampered_file_exits_1(unit: tuple[Cli, str, Path]) -> None:
    """An export with an edited event fails verification with exit code 1 and names it."""
    cli, case_id, home = unit
    out = home / "t.jsonl"
    assert cli("custody", "export", case_id, "-o", str(out), user="jan").returncode == 0
    lines = out.read_text().splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        if record["type"] == "event" and record["seq"] == 2:
            record["actor_zone"] = "PZ Westkust"
            lines[i] = json.dumps(record)
    out.write_text("\n".join(lines) + "\n")
    result = cli("custody", "verify", "--file", str(out))
    assert result.returncode == 1
    assert "event 2" in result.stderr


@pytest.mark.parametrize("content", ["", "garbage\n"])
def test_malformed_or_empty_file_exits_2(unit: tuple[Cli, str, Path], content: str) -> None:
    """An empty or malformed export file is a one-line error, exit 2."""
    cli, _, home = unit
    bad = home / "bad.jsonl"
    bad.write_text(content)
    result = cli("custody", "verify", "--file", str(bad))
    assert result.returncode == 2
    _one_line_error(result)


def test_unknown_case_unknown_user_other_zone(unit: tuple[Cli, str, Path]) -> None:
    """Unknown case and unknown user exit 2, another zone's case exits 1; one line each,
    and no custody event is written by any of them."""
    cli, case_id, _ = unit
    before = json.loads(cli("custody", "log", case_id, "--json", user="jan").stdout)
    unknown_case = cli("case", "show", "LCCU-0000-00000", user="jan")
    assert unknown_case.returncode == 2
    _one_line_error(unknown_case)
    unknown_user = cli("case", "list", user="nobody")
    assert unknown_user.returncode == 2
    _one_line_error(unknown_user)
    other_zone = cli("evidence", "list", case_id, user="els")
    assert other_zone.returncode == 2  # as the unknown case above: it says nothing exists
    _one_line_error(other_zone)
    after = json.loads(cli("custody", "log", case_id, "--json", user="jan").stdout)
    assert before[-1]["event_hash"] == after[-1]["event_hash"]


def test_share_then_other_zone_reads(unit: tuple[Cli, str, Path]) -> None:
    """After `case share --with`, the analyst of the other zone can list the items."""
    cli, case_id, _ = unit
    assert (
        cli(
            "case", "share", case_id, "--with", "PZ Westkust", "--purpose", "help", user="jan"
        ).returncode
        == 0
    )
    listed = cli("evidence", "list", case_id, "--json", user="els")
    assert listed.returncode == 0
    assert json.loads(listed.stdout)[0]["description"] == "USB stick"


def test_audit_for_dpo_only(unit: tuple[Cli, str, Path]) -> None:
    """`lccu audit` works for the DPO (with the chain verified) and is refused to others."""
    cli, _, _ = unit
    dpo = cli("audit", "--json", "--verify", user="dpo")
    assert dpo.returncode == 0
    entries = json.loads(dpo.stdout)
    assert any(not e["allowed"] and e["user"] == "els" for e in entries)
    refused = cli("audit", user="jan")
    assert refused.returncode == 1
    _one_line_error(refused)


def test_usage_errors_exit_2(unit: tuple[Cli, str, Path]) -> None:
    """Missing arguments and a bad --head are usage errors (exit 2)."""
    cli, case_id, _ = unit
    assert cli("custody", "verify", user="jan").returncode == 2
    assert cli("custody", "verify", case_id, "--head", "abc", user="jan").returncode == 2
    assert (
        cli("evidence", "add", case_id, "/nonexistent", "--description", "x", user="jan").returncode
        == 2
    )


def test_declared_hash_mismatch_stores_nothing_unless_accepted(unit: tuple[Cli, str, Path]) -> None:
    """A wrong --sha256: exit 1, one-line error, no new item; with --accept-mismatch the
    item is taken in marked hash-mismatch and the command still exits 1, loudly."""
    cli, case_id, home = unit
    image = home / "other.dd"
    image.write_bytes(os.urandom(32 * 1024))
    listed = json.loads(cli("evidence", "list", case_id, "--json", user="jan").stdout)
    refused = cli(
        "evidence",
        "add",
        case_id,
        str(image),
        "--description",
        "copy",
        "--sha256",
        "ab" * 32,
        user="jan",
    )
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    last = refused.stderr.strip().splitlines()[-1]  # after the progress line
    assert last.startswith("lccu: error: other.dd: declared SHA256 " + "ab" * 32)
    assert "nothing was stored" in last
    after = json.loads(cli("evidence", "list", case_id, "--json", user="jan").stdout)
    assert len(after) == len(listed)
    kept = cli(
        "evidence",
        "add",
        case_id,
        str(image),
        "--description",
        "copy",
        "--sha256",
        "ab" * 32,
        "--accept-mismatch",
        "--json",
        user="jan",
    )
    assert kept.returncode == 1 and "HASH MISMATCH" in kept.stderr
    item = json.loads(kept.stdout)
    assert item["state"] == "hash-mismatch" and item["hash_mismatches"] == ["sha256"]
    assert (
        len(json.loads(cli("evidence", "list", case_id, "--json", user="jan").stdout))
        == len(listed) + 1
    )


def test_countersign(unit: tuple[Cli, str, Path]) -> None:
    """A hand-over to op is pending in `verify` (exit 0) until op countersigns it; a second
    countersignature is a one-line error (exit 2). Few calls: each is a new process."""
    cli, case_id, _ = unit
    item = json.loads(cli("evidence", "list", case_id, "--json", user="jan").stdout)[0]["id"]
    handed = cli(
        "custody",
        "record",
        case_id,
        "--action",
        "transferred",
        "--item",
        item,
        "--received-by",
        "op",
        "--to-location",
        "locker 7",
        user="jan",
    )
    assert handed.returncode == 0, handed.stderr
    seq = handed.stdout.split("#")[1].split()[0]
    pending = cli("custody", "verify", case_id, user="jan")
    assert pending.returncode == 0, pending.stderr
    assert f"event {seq}: countersignature of op as receiver pending" in pending.stdout
    signed = cli("custody", "countersign", case_id, seq, "--as", "receiver", user="op")
    assert signed.returncode == 0, signed.stderr
    assert f"event #{seq} countersigned by op as receiver" in signed.stdout
    again = cli("custody", "countersign", case_id, seq, user="op")
    assert again.returncode == 2 and "already countersigned" in again.stderr
    _one_line_error(again)
    checked = json.loads(cli("custody", "verify", case_id, "--json", user="jan").stdout)
    assert checked["ok"] and checked["pending"] == []
    assert checked["countersignatures_checked"] == 1
