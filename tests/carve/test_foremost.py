"""Comparison with Debian's foremost on the same image and the same types."""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess
from pathlib import Path

from lccu.carve import carve
from lccu.testing import samples

FOREMOST_TYPES = {"jpeg": "jpg", "png": "png", "gif": "gif", "bmp": "bmp", "pdf": "pdf",
                  "zip": "zip"}


def test_recovers_every_file_foremost_recovers_exactly(rng: random.Random, tmp_path: Path) -> None:
    """Every planted file foremost carves byte-exact is also carved exactly by lccu."""
    assert shutil.which("foremost"), "Debian's foremost must be installed (apt install foremost)"
    files, at = [], 4096
    for kind in FOREMOST_TYPES:
        for _ in range(3):
            data = samples.BUILDERS[kind](rng)
            files.append((at, kind, data))
            at += len(data) + 4096 + rng.randrange(4096)
    image, planted = samples.plant(rng, at + 8192, files)
    path = tmp_path / "image.dd"
    path.write_bytes(image)
    out = tmp_path / "foremost"
    subprocess.run(
        ["foremost", "-Q", "-t", ",".join(FOREMOST_TYPES.values()), "-i", str(path),
         "-o", str(out)],
        check=True, capture_output=True, timeout=120,
    )
    planted_hashes = {hashlib.sha256(p.data).hexdigest() for p in planted}
    foremost_hashes = {
        hashlib.sha256(f.read_bytes()).hexdigest() for f in out.rglob("*") if f.is_file()
        and f.name != "audit.txt"
    }
    foremost_exact = planted_hashes & foremost_hashes
    assert foremost_exact, "foremost recovered nothing exactly: the comparison would be empty"
    with path.open("rb") as stream:
        ours = {c.sha256 for c in carve(stream, len(image), types=list(FOREMOST_TYPES))}
    assert foremost_exact <= ours
    assert planted_hashes <= ours
