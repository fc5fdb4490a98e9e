"""`lccu admin cleanup-uploads` as an operator types it: a unit admin removes the partial
files and staging copies older than the grace period, never a committed evidence file
however old (one beside a removed partial file, that no item records, is named and
audited), nor a partial file still young; anyone else is refused (audited), and nothing
is removed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lccu.config import load_settings
from lccu.evidence.lab import open_lab
from lccu.evidence.upload_cleanup import OPERATION
from lccu.testing.keys import KEY_ENV

HOUR = 3600


def test_cleanup_uploads_removes_only_stale_leftovers(tmp_path: Path) -> None:
    """Old partial file and staging copy removed (each audited as the admin, listed in the
    output); the committed item, an old committed-looking file and a fresh partial file
    stay; `lccu evidence verify` still matches; an investigator is refused (exit 1 or 3
    never: a one-line error) and removes nothing."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    env.update(KEY_ENV, LCCU_HOME=str(home))

    def cli(*args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lccu.cli.main", *args],
            env={**env, **({"LCCU_USER": user} if user else {})},
            capture_output=True,
            text=True,
            timeout=120,
        )

    for args in (
        ("zone", "add", "PZ Vlas"),
        ("user", "add", "admin", "--zone", "PZ Vlas", "--role", "admin"),
    ):
        assert cli(*args).returncode == 0
    for name, role in (("jan", "investigator"), ("dpo", "dpo")):
        assert (
            cli("user", "add", name, "--zone", "PZ Vlas", "--role", role, user="admin").returncode
            == 0
        )
    case_id = cli("case", "create", "--title", "Leftovers", user="jan").stdout.strip()
    image = tmp_path / "stick.dd"
    image.write_bytes(os.urandom(64 * 1024))
    added = cli(
        "evidence", "add", case_id, str(image), "--description", "USB stick", "--json", user="jan"
    )
    assert added.returncode == 0, added.stderr
    item_id = json.loads(added.stdout)["id"]

    store = home / "evidence"
    old = time.time() - 2 * HOUR
    planted = {
        "stale partial": store / "cases" / case_id / "dead-item" / ".lccu-partial-0001",
        "stale staging": store / "derived" / "staging" / case_id / "dead-e01" / "disk.E01",
        "old evidence name": store / "cases" / case_id / "dead-item" / "disk.raw",
        "fresh partial": store / "cases" / case_id / "live-item" / ".lccu-partial-0002",
    }
    for name, path in planted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
        if name != "fresh partial":
            os.utime(path, (old, old))

    refused = cli("admin", "cleanup-uploads", user="jan")
    assert refused.returncode not in (0, 3) and "unit admin" in refused.stderr, refused
    assert all(path.exists() for path in planted.values())

    done = cli("admin", "cleanup-uploads", user="admin")
    assert done.returncode == 0, done.stderr
    assert not planted["stale partial"].exists() and not planted["stale staging"].exists()
    assert planted["old evidence name"].exists() and planted["fresh partial"].exists()
    assert "removed partial file" in done.stdout and "removed staging copy" in done.stdout
    assert "2 removed; 1 kept" in done.stdout, done.stdout
    assert (
        f"KEPT evidence object cases/{case_id}/dead-item/disk.raw committed by an intake "
        "that did not finish: no item records it"
    ) in done.stdout, done.stdout
    verified = cli("evidence", "verify", item_id, user="jan")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    settings = load_settings({**KEY_ENV, "LCCU_HOME": str(home)})
    entries = [
        e for e in open_lab("dpo", settings=settings).audit_log() if e.operation == OPERATION
    ]
    assert [(e.username, e.allowed) for e in entries] == [
        ("jan", False),
        ("admin", True),
        ("admin", True),
        ("admin", True),
    ]
    assert "unrecorded evidence object" in str(entries[-1].detail)
