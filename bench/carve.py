"""Benchmark: lccu carving against Debian's foremost on one planted image, in one run.

    python bench/carve.py [--size-mib 1024] [--files 600]

Builds (or reuses) ``bench/out/carve-<size>.img``: seeded random data with planted sample
files of every type foremost knows (jpg, png, gif, bmp, pdf, zip, wav) plus lccu-only
types (sqlite, mp4, evtx, 7z). Then, after warming the page cache, runs lccu (writing
every carved file, as a real job does) and foremost on it, each in a child process, and
prints throughput, the ratio, exact recoveries (SHA-256 equal to a planted file), invalid
outputs (equal to no planted file) and peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Replace (not prepend to) the script's folder on sys.path: bench/yara.py would shadow the
# yara module that lccu.carve imports.
sys.path[0] = str(ROOT)

from lccu.testing import samples  # noqa: E402

MiB = 1024 * 1024
FOREMOST = {"jpeg": "jpg", "png": "png", "gif": "gif", "bmp": "bmp", "pdf": "pdf",
            "zip": "zip", "riff": "wav", "rar": "rar"}
OURS_ONLY = ("sqlite", "mp4", "evtx", "7z")


def _sample(kind: str, rng: random.Random) -> bytes:
    """One sample of a realistic size for its kind (tens of KiB to a few MiB)."""
    r = rng.random()
    if kind == "jpeg":
        return samples.jpeg(rng, int(20_000 + r * 3_000_000))
    if kind == "png":
        return samples.png(rng, 100 + int(r * 600), 100 + int(r * 400))
    if kind == "gif":
        return samples.gif(rng, 50 + int(r * 500), 50 + int(r * 400))
    if kind == "bmp":
        return samples.bmp(rng, 50 + int(r * 700), 50 + int(r * 500))
    if kind == "pdf":
        return samples.pdf(rng, update=r < 0.3, binary=int(r * 2_000_000))
    if kind == "zip":
        return samples.zip_archive(rng, ("zip", "docx", "odt")[int(r * 3)], int(r * 1_500_000))
    if kind == "riff":
        return samples.wav(rng, 4000 + int(r * 400_000))
    if kind == "sqlite":
        return samples.sqlite_db(rng, 50 + int(r * 2000))
    if kind == "mp4":
        return samples.mp4(rng, media=int(10_000 + r * 2_000_000))
    if kind == "evtx":
        return samples.evtx(rng, chunks=1 + int(r * 8))
    if kind == "rar":
        return samples.rar(rng, version=4 if r < 0.5 else 5, packed=int(1000 + r * 800_000))
    return samples.seven_zip(rng, packed=int(1000 + r * 500_000))


def build(path: Path, size: int, count: int, seed: int = 7) -> list[dict]:
    """Write the image in pieces (bounded memory) and return what was planted where."""
    rng = random.Random(seed)
    kinds = list(FOREMOST) * 3 + list(OURS_ONLY)
    gap = size // (count + 1)
    manifest = []
    with path.open("wb") as out:
        at = 0
        for i in range(count):
            data = _sample(kinds[i % len(kinds)], rng)
            start = max(at, (i + 1) * gap - len(data) // 2 + rng.randrange(-4096, 4096))
            if start + len(data) > size:
                break
            while at < start:
                n = min(16 * MiB, start - at)
                out.write(rng.randbytes(n))
                at += n
            out.write(data)
            manifest.append({"offset": at, "kind": kinds[i % len(kinds)], "length": len(data),
                             "sha256": hashlib.sha256(data).hexdigest()})
            at += len(data)
        while at < size:
            n = min(16 * MiB, size - at)
            out.write(rng.randbytes(n))
            at += n
    return manifest


def run_lccu(image: Path, outdir: Path, workers: int) -> None:
    """Child process: carve every type, write each carved file, print the records as JSON."""
    from lccu.carve import carve, read_carved

    outdir.mkdir(parents=True, exist_ok=True)
    records = []
    with image.open("rb") as stream:
        size = image.stat().st_size
        for c in carve(stream, size, workers=workers):
            with (outdir / f"{c.offset:012d}.{c.extension}").open("wb") as out:
                for piece in read_carved(stream, c):
                    out.write(piece)
            records.append({"offset": c.offset, "sha256": c.sha256, "type": c.type,
                            "validated": c.validated})
    print(json.dumps(records))


def timed_child(argv: list[str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (MiB) and stdout of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS, not the maximum
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{argv[0]} failed with exit code {proc.returncode}")
    return elapsed, usage.ru_maxrss // 1024, out.decode(errors="replace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--child-lccu", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_lccu:
        run_lccu(Path(args.child_lccu[0]), Path(args.child_lccu[1]), int(args.child_lccu[2]))
        return
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    image = out / f"carve-v3-{args.size_mib}m-{args.files}.img"
    manifest_path = image.with_suffix(".json")
    size = args.size_mib * MiB
    if not (image.exists() and manifest_path.exists() and image.stat().st_size == size):
        print(f"building {image} ...", flush=True)
        manifest_path.write_text(json.dumps(build(image, size, args.files)))
    manifest = json.loads(manifest_path.read_text())
    planted = {m["sha256"] for m in manifest}
    known = {m["sha256"] for m in manifest if m["kind"] in FOREMOST}
    with image.open("rb") as f:  # warm the page cache so neither tool pays the first read
        while f.read(64 * MiB):
            pass
    for name in ("lccu-out", "lccu1-out", "foremost-out"):
        shutil.rmtree(out / name, ignore_errors=True)

    lccu_s, lccu_rss, text = timed_child(
        [sys.executable, __file__, "--child-lccu", str(image), str(out / "lccu-out"), "2"])
    one_s, one_rss, one_text = timed_child(
        [sys.executable, __file__, "--child-lccu", str(image), str(out / "lccu1-out"), "1"])
    types = ",".join(FOREMOST.values())
    fm_s, fm_rss, _ = timed_child(
        ["foremost", "-Q", "-t", types, "-i", str(image), "-o", str(out / "foremost-out")])
    fm_files = [p for p in (out / "foremost-out").rglob("*") if p.is_file()
                and p.name != "audit.txt"]
    theirs = [hashlib.sha256(p.read_bytes()).hexdigest() for p in fm_files]

    lccu_records = json.loads(text)
    rows = [
        ("lccu (2 threads)", lccu_s, [r["sha256"] for r in lccu_records], lccu_rss),
        ("lccu (1 thread)", one_s, [r["sha256"] for r in json.loads(one_text)], one_rss),
        ("foremost 1.5.7", fm_s, theirs, fm_rss),
    ]
    print(f"image: {size // MiB} MiB, {len(manifest)} planted files "
          f"({len(known)} of types foremost knows: {', '.join(FOREMOST.values())})")
    print("| tool | throughput | exact (foremost types) | exact (all planted) | outputs |"
          " invalid outputs | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for name, secs, hashes, rss in rows:
        found = set(hashes)
        invalid = sum(1 for h in hashes if h not in planted)
        print(f"| {name} | {size / MiB / secs:,.0f} MiB/s ({secs:.1f} s) "
              f"| {len(found & known)} / {len(known)} | {len(found & planted)} / {len(planted)} "
              f"| {len(hashes)} | {invalid} | {rss} MiB |")
    unvalidated = sum(1 for r in lccu_records if not r["validated"])
    print(f"lccu unvalidated records: {unvalidated}")
    print(f"ratio (lccu / foremost throughput): {fm_s / lccu_s:.2f}x")


if __name__ == "__main__":
    main()
