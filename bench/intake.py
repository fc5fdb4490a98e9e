"""`lccu evidence add` of one disk as raw and as E01 (3 segments), beside `ewfverify`.

    python bench/intake.py [--size-mib 1024] [--work DIR] [--keep] [--rounds N]
                           [--baseline CHECKOUT]

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

Each command runs in its own process; wall time, CPU seconds (user + system) and peak
resident memory (``wait4``'s ``ru_usage``) are reported, with the media throughput and the
load average before and after. ``--rounds N`` runs every lccu command N times, in turns,
and reports the median (each stored copy is removed after its round, so N rounds need the
disk space of one). ``--baseline CHECKOUT`` also runs the lccu commands from another
checkout of lccu (e.g. the main branch), in turns with this one and on the same files, so
a change is compared with what it changes in one run. ``--keep`` keeps the images in
``--work``, and a later run with the same ``--work`` and size uses them again. Output is a
Markdown table for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
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


def measure(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + system), peak RSS (KiB) and stdout of one
    process."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace")
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {status}:\n{output}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, output


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def clear_store(home: Path) -> None:
    """Remove the copies stored by the last intake (read-only files), keeping the case."""
    store = home / "evidence"
    if store.is_dir():
        subprocess.run(["chmod", "-R", "u+w", str(store)], check=False)
        shutil.rmtree(store, ignore_errors=True)


def lccu(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lccu.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"lccu {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


def build_images(work: Path, size_mib: int) -> tuple[Path, dict[str, list[Path]], int]:
    """The raw disk and its two E01 acquisitions in ``work`` (reused when already there,
    from a ``--keep`` run of the same size)."""
    size = size_mib * MIB
    raw = work / "disk.raw"
    segment = -(-size // 3 // MIB) * MIB
    e01s: dict[str, list[Path]] = {}
    reuse = raw.is_file() and raw.stat().st_size == size
    if not reuse:
        build_disk(raw, size_mib)
    for name, compression in (("e01-none", "none"), ("e01-deflate", "deflate:fast")):
        target = work / name / "disk"
        if not (reuse and sorted(target.parent.glob("disk.E*"))):
            if target.parent.is_dir():
                shutil.rmtree(target.parent)
            target.parent.mkdir()
            subprocess.run(
                [
                    "ewfacquire",
                    "-u",
                    "-q",
                    "-c",
                    compression,
                    "-S",
                    str(segment),
                    "-t",
                    str(target),
                    str(raw),
                ],
                check=True,
                capture_output=True,
                timeout=3600,
            )
        e01s[name] = sorted(target.parent.glob("disk.E*"))
    return raw, e01s, segment


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--work", type=Path, default=None, help="folder for the images")
    parser.add_argument("--keep", action="store_true", help="keep the images and the home")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each lccu command")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="another lccu checkout to time in turns with this one",
    )
    options = parser.parse_args()
    for tool in ("ewfacquire", "ewfverify"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed: apt-get install -y ewf-tools")
    work = Path(options.work or tempfile.mkdtemp(prefix="lccu-bench-intake-"))
    work.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).resolve().parents[1]
    codes = [("", here)]
    if options.baseline is not None:
        codes.append((" [baseline]", options.baseline.resolve()))
    rows: list[tuple[str, str, list[tuple[float, float, int]]]] = []
    home = work / "home"
    try:
        raw, e01s, segment = build_images(work, options.size_mib)
        start_load = load()
        if home.exists():
            subprocess.run(["chmod", "-R", "u+w", str(home)], check=False)
            shutil.rmtree(home)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
        from lccu.testing.keys import KEY_ENV  # every signing key is encrypted

        env.update(KEY_ENV)
        env.update({"LCCU_HOME": str(home), "PYTHONPATH": str(here)})
        lccu(env, "zone", "add", "PZ Bench")
        lccu(env, "user", "add", "admin", "--zone", "PZ Bench", "--role", "admin")
        env["LCCU_USER"] = "admin"
        lccu(env, "user", "add", "jan", "--zone", "PZ Bench", "--role", "investigator")
        env["LCCU_USER"] = "jan"
        case = lccu(env, "case", "create", "--zone", "PZ Bench", "--title", "Bench")
        media_sha256 = None
        for name, files in [("raw", [raw]), *e01s.items()]:
            label = f"{name} ({len(files)} file{'s' if len(files) > 1 else ''})"
            if name != "raw":
                for command, extra in (
                    ("ewfverify (MD5)", []),
                    ("ewfverify -d sha1,sha256", ["-d", "sha1,sha256"]),
                ):
                    wall, cpu, rss, _out = measure(["ewfverify", "-q", *extra, str(files[0])])
                    rows.append((label, command, [(wall, cpu, rss)]))
            runs: dict[str, list[tuple[float, float, int]]] = {}
            for _round in range(options.rounds):
                for suffix, code in codes:
                    run_env = {**env, "PYTHONPATH": str(code)}
                    wall, cpu, rss, _out = measure(
                        [sys.executable, "-m", "lccu.cli.main", "hash", str(files[0])], run_env
                    )
                    runs.setdefault(f"lccu hash (media only){suffix}", []).append((wall, cpu, rss))
                    wall, cpu, rss, out = measure(
                        [
                            sys.executable,
                            "-m",
                            "lccu.cli.main",
                            "evidence",
                            "add",
                            case,
                            str(files[0]),
                            "--description",
                            name,
                            "--json",
                        ],
                        run_env,
                    )
                    clear_store(home)
                    sha256 = json.loads(out)["sha256"]
                    media_sha256 = media_sha256 or sha256
                    assert sha256 == media_sha256, f"{name}: media hash differs from raw's"
                    runs.setdefault(f"lccu evidence add{suffix}", []).append((wall, cpu, rss))
            rows.extend((label, command, found) for command, found in runs.items())
        print(
            f"Disk: {options.size_mib} MiB; E01 segments of {segment // MIB} MiB; "
            f"{os.cpu_count()} CPUs; media SHA-256 {media_sha256}; "
            f"load average {start_load} at the start, {load()} at the end"
            + (f"; median of {options.rounds} rounds" if options.rounds > 1 else "")
            + (f"; baseline: {codes[1][1]}" if len(codes) > 1 else "")
            + "\n"
        )
        print("| image | command | wall s | CPU s | media MiB/s | peak RSS MiB |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for image, command, found in rows:
            wall = statistics.median(w for w, _c, _r in found)
            cpu = statistics.median(c for _w, c, _r in found)
            rss = max(r for _w, _c, r in found)
            spread = (
                f" ({min(w for w, _c, _r in found):.1f}-{max(w for w, _c, _r in found):.1f})"
                if len(found) > 1
                else ""
            )
            print(
                f"| {image} | {command} | {wall:.1f}{spread} | {cpu:.1f} | "
                f"{options.size_mib / wall:.0f} | {rss / 1024:.0f} |"
            )
    finally:
        if not options.keep:
            for path in (home, work / "e01-none", work / "e01-deflate", work / "disk.raw"):
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
