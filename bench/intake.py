"""`lccu evidence add` of one disk as raw and as E01 (3 segments), beside `ewfverify`.

    python bench/intake.py [--size-mib 1024] [--work DIR] [--keep]

Builds a disk of ``--size-mib`` (half random bytes, a quarter repeated text, a quarter
zeros: some of it compresses), acquires it with ``ewfacquire`` in 3 segments uncompressed
and deflate-compressed, then, on the same files in one run, times:

- ``ewfverify`` (MD5 of the media, its default) and ``ewfverify -d sha1,sha256`` (the three
  digests lccu computes) on each E01;
- ``lccu hash`` (the media's MD5, SHA-1 and SHA-256 through the reader: what
  ``ewfverify -d sha1,sha256`` computes) of each;
- ``lccu evidence add`` (a throw-away home, local evidence store) of the raw disk and of
  each E01: every container file streamed into the store with its own MD5/SHA-1/SHA-256,
  and the media hashed through libewf (raw: the same pass).

Each command runs in its own process; wall time and peak resident memory (``wait4``'s
``ru_maxrss``) are reported, with the media throughput. Output is a Markdown table for
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1024 * 1024


def build_disk(path: Path, size_mib: int) -> None:
    """Random, text and zero runs of 1 MiB in a fixed pseudo-random order."""
    rng = random.Random(12)
    text = (b"The quick brown fox jumps over the lazy dog. " * 24_000)[:MIB]
    with path.open("wb") as out:
        for _ in range(size_mib):
            pick = rng.random()
            if pick < 0.5:
                out.write(rng.randbytes(MIB))
            elif pick < 0.75:
                out.write(text)
            else:
                out.write(bytes(MIB))


def measure(args: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace")
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {status}:\n{output}")
    return wall, usage.ru_maxrss, output


def lccu(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "lccu.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"lccu {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--work", type=Path, default=None, help="folder for the images")
    parser.add_argument("--keep", action="store_true", help="keep the images and the home")
    options = parser.parse_args()
    for tool in ("ewfacquire", "ewfverify"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed: apt-get install -y ewf-tools")
    work = Path(options.work or tempfile.mkdtemp(prefix="lccu-bench-intake-"))
    work.mkdir(parents=True, exist_ok=True)
    size = options.size_mib * MIB
    raw = work / "disk.raw"
    rows: list[tuple[str, str, float, int]] = []
    try:
        build_disk(raw, options.size_mib)
        segment = -(-size // 3 // MIB) * MIB
        e01s = {}
        for name, compression in (("e01-none", "none"), ("e01-deflate", "deflate:fast")):
            target = work / name / "disk"
            target.parent.mkdir(exist_ok=True)
            subprocess.run(["ewfacquire", "-u", "-q", "-c", compression, "-S", str(segment),
                            "-t", str(target), str(raw)], check=True, capture_output=True,
                           timeout=3600)
            e01s[name] = sorted(target.parent.glob("disk.E*"))
        home = work / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
        from lccu.testing.keys import KEY_ENV  # every signing key is encrypted

        env.update(KEY_ENV)
        env.update({"LCCU_HOME": str(home), "PYTHONPATH": str(Path(__file__).parents[1])})
        lccu(env, "zone", "add", "PZ Bench")
        lccu(env, "user", "add", "admin", "--zone", "PZ Bench", "--role", "admin")
        env["LCCU_USER"] = "admin"
        lccu(env, "user", "add", "jan", "--zone", "PZ Bench", "--role", "investigator")
        env["LCCU_USER"] = "jan"
        case = lccu(env, "case", "create", "--zone", "PZ Bench", "--title", "Bench")
        media_sha256 = None
        for name, files in [("raw", [raw]), *e01s.items()]:
            if name != "raw":
                for label, extra in (("ewfverify (MD5)", []),
                                     ("ewfverify -d sha1,sha256", ["-d", "sha1,sha256"])):
                    wall, rss, _out = measure(["ewfverify", "-q", *extra, str(files[0])])
                    rows.append((f"{name} ({len(files)} segments)", label, wall, rss))
            wall, rss, _out = measure([sys.executable, "-m", "lccu.cli.main", "hash",
                                       str(files[0])], env)
            rows.append((f"{name} ({len(files)} file{'s' if len(files) > 1 else ''})",
                         "lccu hash (media only)", wall, rss))
            wall, rss, out = measure([sys.executable, "-m", "lccu.cli.main", "evidence", "add",
                                      case, str(files[0]), "--description", name, "--json"],
                                     env)  # fmt: skip
            sha256 = json.loads(out)["sha256"]
            media_sha256 = media_sha256 or sha256
            assert sha256 == media_sha256, f"{name}: media hash differs from the raw disk's"
            label = f"{name} ({len(files)} file{'s' if len(files) > 1 else ''})"
            rows.append((label, "lccu evidence add", wall, rss))
        print(f"Disk: {options.size_mib} MiB; E01 segments of {segment // MIB} MiB; "
              f"{os.cpu_count()} CPUs; media SHA-256 {media_sha256}\n")
        print("| image | command | wall s | media MiB/s | peak RSS MiB |")
        print("| --- | --- | ---: | ---: | ---: |")
        for image, command, wall, rss in rows:
            print(f"| {image} | {command} | {wall:.1f} | {options.size_mib / wall:.0f} | "
                  f"{rss / 1024:.0f} |")
    finally:
        if not options.keep:
            for path in (work / "home", work / "e01-none", work / "e01-deflate", raw):
                if path.is_dir():
                    subprocess.run(["chmod", "-R", "u+w", str(path)], check=False)
                    shutil.rmtree(path, ignore_errors=True)
                elif path.exists():
                    path.unlink()
            if options.work is None:
                shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
