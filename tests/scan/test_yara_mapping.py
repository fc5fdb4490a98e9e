"""Image hits are attributed to the file owning their offset, or marked unallocated."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lccu.scan import load_rules, map_hits, scan_file, scan_stream

KiB = 1024


@dataclass(frozen=True)
class _Owner:
    volume: int
    path: str
    inode: int


def test_hits_get_owner_or_unallocated(
    tmp_path: Path, cache_dir: Path, image_builder: Callable[..., Path], artefacts: list[bytes]
) -> None:
    """A hit inside a file's block run gets that file; a hit outside every run is unallocated."""
    eicar = artefacts[0]
    image = image_builder(tmp_path / "img.raw", 256 * KiB, {8 * KiB + 10: eicar, 200 * KiB: eicar})
    runs = [(4 * KiB, 12 * KiB, _Owner(1, "/Users/x/eicar.txt", 42))]  # [start, end) -> owner
    starts = [r[0] for r in runs]

    def owner_of(offset: int) -> _Owner | None:
        i = bisect.bisect_right(starts, offset) - 1
        return runs[i][2] if i >= 0 and offset < runs[i][1] else None

    rules = load_rules([], cache_dir=cache_dir)
    with image.open("rb") as fh:
        hits = list(map_hits(scan_stream(fh, 256 * KiB, rules), owner_of))
    assert [(h.offset, h.file) for h in hits] == [
        (8 * KiB + 10, {"volume": 1, "path": "/Users/x/eicar.txt", "inode": 42}),
        (200 * KiB, "unallocated"),
    ]
    assert hits[0].to_dict()["file"]["inode"] == 42


def test_per_file_hits_pass_through(
    tmp_path: Path, cache_dir: Path, artefacts: list[bytes]
) -> None:
    """Per-file hits keep file=None: their offsets are not image offsets and are never looked up."""
    f = tmp_path / "carved.bin"
    f.write_bytes(artefacts[0])
    asked: list[int] = []
    hits = scan_file(f, load_rules([], cache_dir=cache_dir), source="carved")
    mapped = list(map_hits(hits, lambda o: asked.append(o)))  # type: ignore[func-returns-value]
    assert mapped == hits and asked == [] and hits
