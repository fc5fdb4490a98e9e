"""Benchmark: lccu ``scan_stream`` against the Debian ``yara`` command line on one image.

Both scan the same generated image (pseudo-random bytes with the bundled rules' artefacts
planted every MiB) with the same rules (lccu's bundled set plus a slice of signature-base
without module imports), in one run. The script checks both report the same set of
(namespace, rule, string, offset) hits, then prints each throughput, the ratio and lccu's
peak RSS. Run once, at the end of a change: ``python bench/yara.py --size-mib 1024``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is called yara.py (as the issue asks): keep its folder from shadowing yara-python.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from lccu.scan import ScanProblem, load_rules, scan_stream  # noqa: E402
from lccu.scan.bundled import bundled_rules_dir  # noqa: E402
from lccu.testing.corpus import corpus_dir  # noqa: E402

MiB = 1024 * 1024
OUT = _HERE / "out"
EXTERNALS = ("filename", "filepath", "extension", "filetype", "owner")
DEFINES = [a for e in EXTERNALS for a in ("-d", f"{e}=")]
HitKey = tuple[str, str, str, int]
RuleFiles = list[tuple[str, Path]]
PLANTS = [
    rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
    b" 1BoatSLRHtKNngkdXEeobR76b53LETtpyT ",
    b" bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq ",
    b" 0x52908400098527886E0F7030069857D2E4169EE7 ",
    b" 2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion ",
    b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
    b" AKIAIOSFODNN7EXAMPLE ",
    b"mimikatz # sekurlsa::logonpasswords\n",
    b"procdump64.exe -accepteula -ma lsass.exe out.dmp\n",
    "TeamViewer_Service.exe".encode("utf-16-le"),
]


def build_image(path: Path, size_mib: int) -> None:
    """Pseudo-random image, one planted artefact per MiB (straddling the MiB edge)."""
    if path.exists() and path.stat().st_size == size_mib * MiB:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1234)
    with path.open("wb") as fh:
        for i in range(size_mib):
            chunk = bytearray(rng.randbytes(MiB))
            blob = PLANTS[i % len(PLANTS)]
            chunk[MiB - len(blob) // 2 - 1 : MiB - 1] = blob[: len(blob) // 2]
            chunk[100_000 : 100_000 + len(blob)] = blob
            fh.write(chunk)


def rule_files(slice_count: int) -> RuleFiles:
    """Bundled rules plus up to ``slice_count`` signature-base files that import no module."""
    files = [(f"lccu.{p.stem}", p) for p in sorted(bundled_rules_dir().glob("*.yar"))]
    base = sorted((corpus_dir() / "yara-signature-base").glob("*.yar"))
    plain = [p for p in base if not re.search(rb"^\s*import\s", p.read_bytes(), re.M)]
    step = max(1, len(plain) // max(slice_count, 1))
    files += [(f"sigbase.{p.stem}", p) for p in plain[::step][:slice_count]]
    return files


def cli_compiles(path: Path) -> bool:
    """Debian's yara may be older than yara-python: keep only files both can compile."""
    args = ["yara", "-w", *DEFINES, str(path), "/dev/null"]
    return subprocess.run(args, capture_output=True).returncode == 0


def run_cli(files: RuleFiles, image: Path) -> tuple[float, set[HitKey]]:
    args = ["yara", "-w", "-e", "-s", *DEFINES]
    args += [f"{ns}:{p}" for ns, p in files] + [str(image)]
    t0 = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True, errors="replace", check=True)
    elapsed = time.perf_counter() - t0
    hits: set[HitKey] = set()
    current = ("", "")
    for line in out.stdout.splitlines():
        m = re.match(r"^0x([0-9a-f]+):(\$\w*):", line)
        if m:
            hits.add((*current, m.group(2), int(m.group(1), 16)))
        elif line:
            ns, _, rule = line.split(" ", 1)[0].partition(":")
            current = (ns, rule)
    return elapsed, hits


def run_lccu(
    files: RuleFiles, image: Path, workers: int
) -> tuple[float, set[HitKey], list[ScanProblem]]:
    with tempfile.TemporaryDirectory() as tmp:
        rule_dir = Path(tmp) / "rules"
        rule_dir.mkdir()
        for ns, p in files:  # one directory so namespaces match the CLI's
            shutil.copy(p, rule_dir / f"{ns}.yar")
        rules = load_rules([rule_dir], bundled=False, cache_dir=Path(tmp) / "cache")
        errors: list[ScanProblem] = []
        t0 = time.perf_counter()
        with image.open("rb") as fh:
            hits: set[HitKey] = {
                (h.namespace.removeprefix("rules."), h.rule, h.string or "", h.offset or 0)
                for h in scan_stream(fh, image.stat().st_size, rules, workers=workers,
                                     max_hits=None, errors=errors)
            }
        return time.perf_counter() - t0, hits, errors


def warm_cache(path: Path) -> None:
    """Read the image once in 16 MiB chunks so neither tool pays for the first disk read."""
    with path.open("rb") as fh:
        while fh.read(16 * MiB):
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--sigbase-files", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    image = OUT / f"yara-bench-{args.size_mib}MiB.raw"
    build_image(image, args.size_mib)
    files = [(ns, p) for ns, p in rule_files(args.sigbase_files) if cli_compiles(p)]
    size = image.stat().st_size
    warm_cache(image)
    cli_s, cli_hits = run_cli(files, image)
    lccu_s, lccu_hits, errors = run_lccu(files, image, args.workers)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    same = cli_hits == lccu_hits
    print(f"image: {image} ({size / MiB:.0f} MiB), rule files: {len(files)}, "
          f"cores: {len(os.sched_getaffinity(0))}, "
          f"load: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"hits: yara CLI {len(cli_hits)}, lccu {len(lccu_hits)}, identical: {same}, "
          f"lccu problems: {len(errors)}")
    print(f"yara CLI {cli_s:.2f} s = {size / MiB / cli_s:.1f} MiB/s")
    print(f"lccu     {lccu_s:.2f} s = {size / MiB / lccu_s:.1f} MiB/s ({args.workers} workers)")
    print(f"ratio lccu/CLI: {cli_s / lccu_s:.2f}x; "
          f"lccu peak RSS (bench process): {rss_mib:.0f} MiB")
    if not same:
        print("only CLI:", sorted(cli_hits - lccu_hits)[:10])
        print("only lccu:", sorted(lccu_hits - cli_hits)[:10])
    return 0 if same and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
