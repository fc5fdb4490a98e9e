"""`lccu hash` and `lccu yara` agree with Debian's hashdeep/ewfinfo and yara tools."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from lccu.scan.bundled import bundled_rules_dir
from lccu.testing.cli import lccu_env, run_lccu
from lccu.testing.corpus import corpus_file
from lccu.testing.oracles import yara_cli_hits


def lccu(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_lccu(*args, env=lccu_env(keys=False, **(env or {})), timeout=300)


def test_hash_matches_hashdeep(tmp_path: Path) -> None:
    """MD5, SHA-1 and SHA-256 of a local file equal hashdeep's."""
    target = tmp_path / "blob.bin"
    target.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    ours = json.loads(lccu("hash", str(target), "--json").stdout)
    out = subprocess.run(
        ["hashdeep", "-c", "md5,sha1,sha256", str(target)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    size, md5, sha1, sha256, _ = out.strip().splitlines()[-1].split(",", 4)
    assert (ours["size"], ours["md5"], ours["sha1"], ours["sha256"]) == (
        int(size),
        md5,
        sha1,
        sha256,
    )


def test_hash_e01_media_and_stored_hashes() -> None:
    """For an E01 the media is hashed and the container's stored hashes (as ewfinfo prints
    them) are shown and match."""
    image = corpus_file("sleuthkit", "imageformat_mmls_1.E01")
    info = subprocess.run(
        ["ewfinfo", str(image)], capture_output=True, text=True, check=True
    ).stdout
    stored_md5 = re.search(r"MD5:\s+([0-9a-f]{32})", info)
    assert stored_md5
    result = lccu("hash", str(image), "--json")
    assert result.returncode == 0
    ours = json.loads(result.stdout)
    assert ours["md5"] == stored_md5.group(1)
    assert ours["container_hashes"]["md5"] == stored_md5.group(1)
    assert ours["container_hashes_match"] is True


def test_hash_bad_input(tmp_path: Path) -> None:
    """A zero-byte file and a directory: one-line error, exit 2."""
    empty = tmp_path / "empty.dd"
    empty.write_bytes(b"")
    for target in (empty, tmp_path):
        result = lccu("hash", str(target))
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.strip().startswith("lccu: error:")


@pytest.mark.parametrize("fixture", ["fat_with_deleted_eicar", "ext4_with_deleted_eicar"])
def test_yara_command_matches_yara_cli(fixture: str, request: pytest.FixtureRequest) -> None:
    """Whole-image hits of `lccu yara` equal the yara command line's (rule, offset) pairs,
    and the EICAR hit names the deleted file."""
    image: Path = request.getfixturevalue(fixture)
    result = lccu("yara", str(image), "--json")
    assert result.returncode == 0, result.stderr
    ours = json.loads(result.stdout)
    expected = yara_cli_hits(bundled_rules_dir().glob("*.yar"), image)
    assert {(h["rule"], h["offset"]) for h in ours["hits"]} == expected
    eicar = [h for h in ours["hits"] if h["rule"] == "lccu_eicar_test_string"]
    assert eicar and isinstance(eicar[0]["file"], dict)
