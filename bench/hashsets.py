"""Hash sets: import of a generated NSRL-style set, and lookups against it.

    python bench/hashsets.py [--rows 4000000] [--files 1000000] [--hit-rate 0.5] [--keep DIR]
                             [--import-only]

1. Writes an NSRL RDS 2.x ``NSRLFile.txt`` of ``--rows`` rows (random SHA-1 and MD5, quoted
   fields, the 2.x header) and imports it with ``lccu hashset import`` into a fresh
   embedded case database, in a child process: wall time and peak resident memory
   (``wait4``'s ``ru_maxrss``).
2. Looks ``--files`` file records (MD5, SHA-1 and SHA-256 each, like report records;
   ``--hit-rate`` of them with the MD5 and SHA-1 of a row of the set) up with
   :func:`lccu.hashsets.lookup.match`, the code every run uses, in a child process: wall
   time and peak memory.
3. The baseline, in the same run: the same rows in a plain SQLite table ``(sha1 TEXT, md5
   TEXT)`` with an index on each column (``sqlite3`` module, one ``executemany``), and the
   same records looked up one ``SELECT`` per hash (SHA-1, then MD5 when SHA-1 missed).
   Both must find the same files.

Prints a Markdown table for ``docs/benchmarks.md``. ``--import-only`` stops after step 1
(for the import's scaling at row counts where the lookup and the baseline add nothing).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"'


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """An NSRL RDS 2.x file: ``rows`` rows of random SHA-1/MD5 (the i-th row's hashes are
    derived from the seed and i, so the lookup side can regenerate hits)."""
    with path.open("w", encoding="ascii", newline="") as fh:
        fh.write(HEADER + "\r\n")
        for i in range(rows):
            sha1, md5 = row_hashes(seed, i)
            fh.write(f'"{sha1.upper()}","{md5.upper()}","0000ABCD","file{i}.dll",'
                     f'"{i % 100000}","{i % 5000}","189",""\r\n')


def row_hashes(seed: int, i: int) -> tuple[str, str]:
    rng = random.Random(seed * 1_000_003 + i)
    return f"{rng.getrandbits(160):040x}", f"{rng.getrandbits(128):032x}"


def records(files: int, rows: int, hit_rate: float, seed: int = 7) -> list[dict[str, str]]:
    """File records; a ``hit_rate`` share have the hashes of a random row of the set."""
    rng = random.Random(99)
    out = []
    for _ in range(files):
        if rng.random() < hit_rate:
            sha1, md5 = row_hashes(seed, rng.randrange(rows))
        else:
            sha1, md5 = f"{rng.getrandbits(160):040x}", f"{rng.getrandbits(128):032x}"
        out.append({"md5": md5, "sha1": sha1, "sha256": f"{rng.getrandbits(256):064x}"})
    return out


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + system: comparable on a busy machine), peak RSS
    (KiB) and stdout of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args} failed with status {status}: {out}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out


LOOKUP_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from bench.hashsets import records
from lccu.evidence.lab import open_lab
from lccu.hashsets.lookup import hits_of, match
files, rows, rate = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
recs = records(files, rows, rate)
lab = open_lab()
sets = [s.ref() for s in lab.hashsets.active()]
started, cpu = time.perf_counter(), time.process_time()
hits = match(lab.hashsets, sets, recs)
found = sum(1 for r in recs if hits_of(r, hits))
print(json.dumps({"seconds": time.perf_counter() - started,
                  "cpu": time.process_time() - cpu, "found": found}))
"""


def baseline(nsrl: Path, db: Path, recs: list[dict[str, str]]) -> dict[str, float]:
    """The plain indexed SQLite table and one SELECT per hash."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE nsrl (sha1 TEXT, md5 TEXT)")
    started = time.perf_counter()
    with nsrl.open(encoding="ascii") as fh:
        next(fh)
        conn.executemany("INSERT INTO nsrl VALUES (?, ?)",
                         ((line[1:41].lower(), line[44:76].lower()) for line in fh))
    conn.execute("CREATE INDEX nsrl_sha1 ON nsrl (sha1)")
    conn.execute("CREATE INDEX nsrl_md5 ON nsrl (md5)")
    conn.commit()
    loaded = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    found = 0
    for r in recs:
        if conn.execute("SELECT 1 FROM nsrl WHERE sha1 = ? LIMIT 1", (r["sha1"],)).fetchone() \
                or conn.execute("SELECT 1 FROM nsrl WHERE md5 = ? LIMIT 1",
                                (r["md5"],)).fetchone():
            found += 1
    looked = time.perf_counter() - started
    conn.close()
    return {"load": loaded, "lookup": looked, "lookup_cpu": time.process_time() - cpu,
            "found": found}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--hit-rate", type=float, default=0.5)
    parser.add_argument("--keep", type=Path, default=None,
                        help="work in this folder and keep it (its NSRL file is reused)")
    parser.add_argument("--import-only", action="store_true",
                        help="measure the import only (no lookup, no baseline)")
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="lccu-bench-hashsets-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        nsrl, made = work / "NSRLFile.txt", work / "rows.txt"
        if not (nsrl.exists() and made.exists() and made.read_text() == str(args.rows)):
            started = time.perf_counter()
            generate(nsrl, args.rows)
            made.write_text(str(args.rows))
            print(f"generated {args.rows:,} rows ({nsrl.stat().st_size / 1e9:.2f} GB) in "
                  f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        for old in (work / "home", work / "plain.sqlite3"):  # a kept folder's last run
            if old.is_dir():
                shutil.rmtree(old)
            old.unlink(missing_ok=True) if not old.is_dir() else None
        env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
        from lccu.testing.keys import KEY_ENV  # every signing key is encrypted

        env |= KEY_ENV
        env |= {"LCCU_HOME": str(work / "home"), "LCCU_USER": "admin",
                "PYTHONPATH": str(repo)}
        lccu = [sys.executable, "-m", "lccu.cli.main"]
        for cmd in (["zone", "add", "PZ Bench"],
                    ["user", "add", "admin", "--zone", "PZ Bench", "--role", "admin"]):
            boot = {k: v for k, v in env.items() if k != "LCCU_USER"}
            subprocess.run(lccu + cmd, env=boot, check=True, capture_output=True)
        imp_s, imp_cpu, imp_kib, out = run_child(
            [*lccu, "hashset", "import", "NSRL", str(nsrl), "--kind", "known"], env)
        print(out.strip(), file=sys.stderr)
        if args.import_only:
            db_size = (work / "home" / "lccu.sqlite3").stat().st_size
            print("| rows | file | import (lccu): wall, CPU | peak RSS | database |")
            print("|---|---|---|---|---|")
            print(f"| {args.rows:,} | {nsrl.stat().st_size / 1e9:.2f} GB | {imp_s:.0f} s, "
                  f"{imp_cpu:.0f} s ({args.rows / imp_s:,.0f} rows/s) | "
                  f"{imp_kib / 1024:.0f} MiB | {db_size / 1e9:.2f} GB |")
            return 0
        _look_s, _look_cpu, look_kib, out = run_child(
            [sys.executable, "-c", LOOKUP_CHILD, str(repo), str(args.files), str(args.rows),
             str(args.hit_rate)], env)
        import json

        looked = json.loads(out)
        recs = records(args.files, args.rows, args.hit_rate)
        base = baseline(nsrl, work / "plain.sqlite3", recs)
        db_size = (work / "home" / "lccu.sqlite3").stat().st_size
        print("| rows | file | import (lccu): wall, CPU | peak RSS | database | "
              f"lookup of {args.files:,} files (lccu): wall, CPU | peak RSS | "
              "plain SQLite: load, lookup wall, CPU | files found (lccu / plain) |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(f"| {args.rows:,} | {nsrl.stat().st_size / 1e9:.2f} GB | {imp_s:.0f} s, "
              f"{imp_cpu:.0f} s ({args.rows / imp_s:,.0f} rows/s) | {imp_kib / 1024:.0f} MiB | "
              f"{db_size / 1e9:.2f} GB | {looked['seconds']:.1f} s, {looked['cpu']:.1f} s | "
              f"{look_kib / 1024:.0f} MiB | {base['load']:.0f} s, {base['lookup']:.1f} s, "
              f"{base['lookup_cpu']:.1f} s | {looked['found']:,} / {base['found']:,} |")
        if looked["found"] != base["found"]:
            print("lccu and the plain lookup found different files", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
