"""Benchmark: lccu's archive expansion against bsdtar and 7-Zip on a folder image of
mixed archives, in one run.

    python bench/archives.py [--size-mib 1024]

Builds (or reuses) ``bench/out/archives-<size>m.img``: an ext4 image (``mkfs.ext4 -d``)
of a folder holding about ``--size-mib`` MiB of archives made by the usual tools: zip
(Info-ZIP-style deflate via zipfile, and stored), tar.gz, tar.xz, tar.zst, 7z (``7zz``) and
a few .docx and zip-in-tar.gz, with pictures (incompressible) and text (compressible)
inside. Then, page cache warm, each in its own child process:

- ``lccu scan IMAGE --no-yara --carve none`` (the real job: list, extract, open every
  archive found, hash and identify every member, write every member to disk), timing its
  archive stage separately;
- ``bsdtar -x`` of every archive, one after the other, in one shell;
- ``7zz x`` of every archive (``.tar.*`` need two passes with 7-Zip: it is counted so).

It prints throughput over the archive bytes, members written and peak RSS.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from lccu.testing import samples  # noqa: E402
from lccu.testing.archives import docx  # noqa: E402

MiB = 1024 * 1024
KINDS = ("zip", "tar.gz", "7z", "zip-stored", "tar.zst", "tar.xz", "docx", "nested")


def _members(rng: random.Random, budget: int) -> dict[str, bytes]:
    """Pictures (JPEG-like, incompressible) and text (compressible) up to ``budget`` bytes."""
    out: dict[str, bytes] = {}
    total = 0
    while total < budget:
        if rng.random() < 0.6:
            data = samples.jpeg(rng, rng.randrange(200_000, 3_000_000))
            name = f"photos/IMG_{len(out):04d}.jpg"
        else:
            lines = [f"{rng.randrange(10**9)} user{rng.randrange(500)} GET /item/"
                     f"{rng.randrange(10**6)} {rng.choice(['200', '404', '302'])}\n"
                     for _ in range(rng.randrange(5_000, 40_000))]
            data = "".join(lines).encode()
            name = f"logs/access-{len(out):04d}.log"
        out[name] = data
        total += len(data)
    return out


def _write(kind: str, path: Path, items: dict[str, bytes], work: Path) -> Path:
    if kind in ("zip", "zip-stored"):
        method = zipfile.ZIP_DEFLATED if kind == "zip" else zipfile.ZIP_STORED
        with zipfile.ZipFile(path := path.with_suffix(".zip"), "w", method,
                             compresslevel=6) as archive:
            for name, data in items.items():
                archive.writestr(name, data)
        return path
    if kind == "docx":
        (path := path.with_suffix(".docx")).write_bytes(
            docx(next(iter(v for k, v in items.items() if k.endswith(".jpg")), b"")))
        return path
    if kind in ("7z", "tar.zst", "tar.xz"):
        src = work / "src"
        shutil.rmtree(src, ignore_errors=True)
        for name, data in items.items():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes(data)
        if kind == "7z":
            target = path.with_suffix(".7z")
            subprocess.run(["7zz", "a", "-bd", "-mx=1", str(target), "."], cwd=src,
                           check=True, capture_output=True)
        else:
            target = path.with_suffix("." + kind)
            flag = "--zstd" if kind == "tar.zst" else "-J"
            env = dict(os.environ, XZ_OPT="-1 -T2", ZSTD_CLEVEL="3")
            subprocess.run(["tar", flag, "-cf", str(target), "."], cwd=src, check=True,
                           capture_output=True, env=env)
        return target
    buf = io.BytesIO()
    if kind == "nested":
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in items.items():
                archive.writestr(name, data)
        items = {"inner.zip": buf.getvalue()}
    target = path.with_suffix(".tar.gz")
    with tarfile.open(target, "w:gz", compresslevel=6) as archive:
        for name, data in items.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return target


def build(folder: Path, image: Path, size: int, seed: int = 19) -> list[Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    work = image.parent / "archives-work"
    work.mkdir(exist_ok=True)
    made: list[Path] = []
    total, i = 0, 0
    while total < size:
        kind = KINDS[i % len(KINDS)]
        items = _members(rng, 2 * MiB if kind == "docx" else rng.randrange(16, 48) * MiB)
        made.append(_write(kind, folder / f"a{i:03d}", items, work))
        total += made[-1].stat().st_size
        i += 1
    shutil.rmtree(work)
    fs_size = int(total * 1.15) + 64 * MiB
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(folder), str(image),
                    f"{fs_size // 1024}k"], check=True, capture_output=True)
    return made


def run_lccu(image: Path, out: Path) -> None:
    """Child: the real scan; prints the archive stage's seconds and what it found."""
    import lccu.pipeline.scan as scan

    spent = [0.0]
    expand = scan.expand_containers

    def timed(*args: object, **kwargs: object) -> object:
        started = time.perf_counter()
        try:
            return expand(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            spent[0] += time.perf_counter() - started

    scan.expand_containers = timed  # type: ignore[assignment]
    report = scan.run_scan(image, out, scan.ScanOptions(yara=False, carve="none"))
    print(json.dumps({"archive_seconds": spent[0], "members": report["summary"]["members"],
                      "written": report["summary"]["members_exported"],
                      "archives": report["summary"]["archives"],
                      "errors": report["summary"]["errors"]}))


def timed_child(argv: list[str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (MiB, of the largest process the command ran, as GNU time
    reports it: measured after exec, so not the forking Python's size) and stdout."""
    started = time.perf_counter()
    with tempfile.NamedTemporaryFile("r") as rss:
        done = subprocess.run(["/usr/bin/time", "-o", rss.name, "-f", "%M", *argv],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"{argv[:3]} failed with exit code {done.returncode}")
        peak = int(rss.read().split()[-1]) // 1024
    return elapsed, peak, done.stdout.decode(errors="replace")


def _count(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--child-lccu", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_lccu:
        run_lccu(Path(args.child_lccu[0]), Path(args.child_lccu[1]))
        return
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    folder, image = out / f"archives-{args.size_mib}m", out / f"archives-{args.size_mib}m.img"
    if not image.exists():
        print(f"building {image} ...", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        build(folder, image, args.size_mib * MiB)
    archives = sorted(p for p in folder.iterdir() if p.is_file())
    size = sum(p.stat().st_size for p in archives)
    for path in [image, *archives]:  # warm the page cache for every tool alike
        with path.open("rb") as f:
            while f.read(64 * MiB):
                pass
    results = []
    scan_out = out / "archives-lccu"
    shutil.rmtree(scan_out, ignore_errors=True)
    secs, rss, text = timed_child([sys.executable, __file__, "--child-lccu", str(image),
                                   str(scan_out)])
    found = json.loads(text)
    results.append(("lccu scan, archive stage", found["archive_seconds"], found["written"],
                    rss))
    results.append(("lccu scan, whole job", secs, found["written"], rss))
    shutil.rmtree(scan_out, ignore_errors=True)
    for name, template in (
            ("bsdtar -x (libarchive 3.6)", 'mkdir -p "$O/$i" && bsdtar -x -f "$f" -C "$O/$i"'),
            ("7zz x (7-Zip 26)", '7zz x -y -bd -o"$O/$i" "$f" >/dev/null && '
             'for t in "$O/$i"/*.tar; do [ -e "$t" ] || continue; '
             '7zz x -y -bd -o"$O/$i" "$t" >/dev/null && rm "$t"; done')):
        target = out / "archives-peer"
        shutil.rmtree(target, ignore_errors=True)
        script = f'O="{target}"; i=0; for f in "$@"; do i=$((i+1)); {template} || exit 1; done'
        secs, rss, _ = timed_child(["sh", "-c", script, "sh", *map(str, archives)])
        results.append((name, secs, _count(target), rss))
        shutil.rmtree(target, ignore_errors=True)
    print(f"image: {image.stat().st_size // MiB} MiB ext4, {len(archives)} archives, "
          f"{size // MiB} MiB of archive bytes; lccu found {found['archives']} containers, "
          f"{found['members']} members, {found['errors']} errors")
    print("| tool | throughput (archive bytes) | time | files written | peak RSS |")
    print("|---|---|---|---|---|")
    for name, secs, files, rss in results:
        print(f"| {name} | {size / MiB / secs:,.0f} MiB/s | {secs:.1f} s | {files} "
              f"| {rss} MiB |")


if __name__ == "__main__":
    main()
