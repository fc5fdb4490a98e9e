"""A processing run says how it ended: an encrypted volume makes it "done with warnings" and
an unreadable E01 chunk "done with errors", named in `lccu status` (text and JSON) and, for
the read error, in the hash stage's custody event."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from lccu.evidence.models import CustodyEvent
from lccu.testing.encrypted import EncryptedDisk
from lccu.testing.images import PlantedManifest
from tests.imaging.test_imaging_read_errors import (
    _text_disk,
    ewfverify,
    flip_chunk,
    wrong_stored_md5,
)
from tests.tasks.conftest import Unit

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def lccu(unit: Unit, *args: str) -> subprocess.CompletedProcess[str]:
    """``lccu ARGS`` as vlas_inv with no Redis: `lccu process` runs the stages itself."""
    return unit.cli(*args, LCCU_REDIS_URL="", timeout=300)


@SQLITE_ONLY
def test_encrypted_volumes_in_status(unit: Unit, encrypted_disk: EncryptedDisk) -> None:
    """The run over a disk with BitLocker, LUKS2 and random-bytes volumes ends "done with
    warnings"; `lccu status` names each volume, `--json` has the outcome and findings."""
    evidence = unit.add_image("vlas_inv", encrypted_disk.image, "ENC1")
    done = lccu(unit, "process", evidence, "--json", "--no-yara")
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["state"] == "done" and run["outcome"] == "done with warnings", run
    found = run["findings"]
    assert found["errors"] == [] and found["read_errors"] == []
    assert [w["where"] for w in found["warnings"]] == ["volume 3", "volume 4", "volume 5"]
    status = lccu(unit, "status", evidence)
    assert status.returncode == 0, status.stderr
    first = status.stdout.splitlines()[0]
    assert first.endswith("done with warnings"), first
    assert "warning: volume 3: BitLocker-encrypted, not analysed" in status.stdout
    assert "warning: volume 4: LUKS2-encrypted, not analysed" in status.stdout
    assert "warning: volume 5: looks encrypted" in status.stdout


@SQLITE_ONLY
def test_corrupt_e01_chunk_in_status_and_custody(unit: Unit, tmp_path: Path) -> None:
    """An E01 whose chunk fails its checksum (ewfacquire, one flipped range) processes to
    "done with errors"; status names the read error at ewfverify's offset and says the
    media hashes cover unreadable bytes; the hash stage's `processed` event records it."""
    raw = _text_disk(tmp_path / "disk.raw")
    subprocess.run(["ewfacquire", "-u", "-q", "-c", "deflate:best", "-t", str(tmp_path / "ok"),
                    str(raw)], check=True, capture_output=True, timeout=120)  # fmt: skip
    bad = flip_chunk(tmp_path / "ok.E01", tmp_path / "bad.E01")
    first, last = ewfverify(bad).bad_sectors[0]
    evidence = unit.add_image("vlas_inv", bad, "BAD1")
    done = lccu(unit, "process", evidence, "--json", "--no-yara", "--carve", "none")
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["outcome"] == "done with errors", run
    fault = {"offset": first * 512, "length": (last - first + 1) * 512}
    assert [{k: f[k] for k in fault} for f in run["findings"]["read_errors"]] == [fault]
    assert run["findings"]["unreadable_bytes"] == fault["length"]
    status = lccu(unit, "status", evidence).stdout
    assert status.splitlines()[0].endswith("done with errors"), status
    assert f"read error at {fault['offset']} ({fault['length']} bytes): EWF chunk" in status
    assert f"media hashes cover {fault['length']} unreadable bytes" in status
    lab = unit.lab("vlas_inv")
    with lab.db.session() as session:
        details = [
            json.loads(d) if isinstance(d, str) else d
            for d in session.scalars(
                select(CustodyEvent.details).where(
                    CustodyEvent.evidence_id == evidence, CustodyEvent.action == "processed"
                )
            )
        ]
    (hashed,) = [d for d in details if d.get("stage") == "hash"]
    assert hashed["media"]["unreadable_bytes"] == fault["length"]
    assert [{k: f[k] for k in fault} for f in hashed["media"]["read_errors"]] == [fault]


@SQLITE_ONLY
def test_wrong_stored_md5_in_status(unit: Unit, tmp_path: Path) -> None:
    """An E01 whose stored MD5 is wrong (the file otherwise sound, ewfverify fails it)
    processes to "done with errors"; status says the media hashes differ from the stored
    ones and names both MD5s."""
    raw = _text_disk(tmp_path / "disk.raw")
    subprocess.run(["ewfacquire", "-u", "-q", "-c", "none", "-t", str(tmp_path / "ok"),
                    str(raw)], check=True, capture_output=True, timeout=120)  # fmt: skip
    wrong = wrong_stored_md5(tmp_path / "ok.E01", tmp_path / "md5.E01")
    evidence = unit.add_image("vlas_inv", tmp_path / "md5.E01", "MD51")
    done = lccu(unit, "process", evidence, "--json", "--no-yara", "--carve", "none")
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["outcome"] == "done with errors", run
    assert run["findings"]["stored_hashes_match"] is False
    assert run["findings"]["read_errors"] == []
    status = lccu(unit, "status", evidence).stdout
    assert "media hashes differ from the hashes stored in the container" in status
    assert wrong in status and hashlib.md5(raw.read_bytes()).hexdigest() in status


@SQLITE_ONLY
def test_truncated_disk_in_status(unit: Unit, planted_disk: PlantedManifest,
                                  tmp_path: Path) -> None:  # fmt: skip
    """A 20 MB cut of the planted disk processes to "done with warnings"; status says the
    FAT partition runs past the end of the image and the ext4 one starts beyond it."""
    cut = tmp_path / "cut.img"
    with planted_disk.image.open("rb") as src:
        cut.write_bytes(src.read(20_000_000))
    evidence = unit.add_image("vlas_inv", cut, "CUT1")
    done = lccu(unit, "process", evidence, "--json", "--no-yara", "--carve", "none")
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["outcome"] == "done with warnings", run
    status = lccu(unit, "status", evidence).stdout
    assert status.splitlines()[0].endswith("done with warnings"), status
    assert "runs past the end of the image" in status
    assert "starts beyond the end of the image" in status
