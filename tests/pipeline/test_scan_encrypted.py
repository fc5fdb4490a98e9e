"""`lccu scan` of a disk with encrypted volumes names each in report.json and report.html and
finishes "done with warnings", not "done" and not "done with errors"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lccu.testing.encrypted import HELLO, EncryptedDisk


def test_scan_names_encrypted_volumes(encrypted_disk: EncryptedDisk, tmp_path: Path) -> None:
    out = tmp_path / "out"
    scan = subprocess.run(
        [
            sys.executable,
            "-m",
            "lccu.cli.main",
            "scan",
            str(encrypted_disk.image),
            "--out",
            str(out),
            "--no-yara",
            "--carve",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert scan.returncode == 0, scan.stderr
    assert "volume 3: BitLocker-encrypted, not analysed" in scan.stdout
    assert scan.stdout.rstrip().splitlines()[-2] == "done with warnings"
    report = json.loads((out / "report.json").read_text())
    assert report["outcome"] == "done with warnings" and report["errors"] == []
    assert [(v["index"], v["encryption"], v["fs_type"]) for v in report["volumes"]] == [
        (2, None, "fat16"),
        (3, "BitLocker", None),
        (4, "LUKS2", None),
        (5, "unidentified", None),
    ]
    shown = {w["where"]: w["message"] for w in report["warnings"]}
    assert shown["volume 3"].startswith("BitLocker-encrypted, not analysed")
    assert shown["volume 4"].startswith("LUKS2-encrypted, not analysed")
    assert shown["volume 5"].startswith("looks encrypted")
    (hello,) = [f for f in report["files"] if f["path"] == "/HELLO.TXT"]
    assert (out / hello["exported"]).read_bytes() == HELLO
    html = (out / "report.html").read_text()
    assert "BitLocker-encrypted, not analysed" in html and "LUKS2-encrypted" in html
    assert "looks encrypted (random bytes), not analysed" in html
