"""Hashing throughput: lccu's one-pass MD5+SHA-1+SHA-256 against hashdeep, and from S3.

    python bench/hash.py [--size-mib 1024] [--s3]

Creates (or reuses) ``bench/out/random-<size>MiB.bin`` of seeded pseudo-random bytes, warms
the page cache, then in one run hashes it with ``hashdeep -c md5,sha1,sha256`` and with
``lccu.hashing.hash_stream``, and with the whole ``lccu hash --json`` command (its own process:
start-up, image detection, reading and hashing, as an operator runs it), checks that all
agree, and prints throughputs and the ratios.
With ``--s3`` the file is also stored in the S3 evidence store (``LCCU_S3_*`` settings, or
the test server on 127.0.0.1:8333) and hashed back through the imaging reader; that figure
is printed as a percentage of the local one, once through the prefetched sequential pass
(what ``lccu hash`` of a stored item uses) and once through the block cache (the older
path), in the same run, each with this process's CPU seconds and those of the S3 server
(the process listening on the endpoint's port, when it can be seen: on one host it
shares the cores). Peak RSS comes from ``resource.getrusage``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lccu.config import Settings, load_settings
from lccu.hashing import Digests, hash_stream

OUT = Path(__file__).resolve().parent / "out"
MIB = 1024 * 1024


def make_input(size_mib: int) -> Path:
    """The seeded test file, written in 8 MiB pieces (never held in memory whole)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"random-{size_mib}MiB.bin"
    if path.exists() and path.stat().st_size == size_mib * MIB:
        return path
    temp = path.with_suffix(".tmp")
    with temp.open("wb") as fh:
        for index in range(0, size_mib, 8):
            fh.write(random.Random(index).randbytes(min(8, size_mib - index) * MIB))
    temp.replace(path)
    return path


def warm(path: Path) -> None:
    with path.open("rb", buffering=0) as fh:
        while fh.read(8 * MIB):
            pass


def cpu_seconds(who: int) -> float:
    """User + system CPU seconds so far of this process (its threads) or its waited children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_hashdeep(path: Path) -> tuple[float, Digests]:
    started = time.perf_counter()
    out = subprocess.run(["hashdeep", "-c", "md5,sha1,sha256", str(path)], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    elapsed = time.perf_counter() - started
    row = next(line for line in out.splitlines() if line and line[0].isdigit())
    size, md5, sha1, sha256 = row.split(",")[:4]
    return elapsed, Digests(int(size), md5, sha1, sha256)


def run_lccu_command(path: Path) -> tuple[float, Digests]:
    """The whole ``lccu hash --json PATH`` process, console script beside this interpreter."""
    script = Path(sys.executable).with_name("lccu")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "lccu.cli.main"]
    env = {**os.environ, "LCCU_HOME": str(OUT / "home")}
    started = time.perf_counter()
    out = subprocess.run([*command, "hash", "--json", str(path)], check=True,
                         capture_output=True, text=True, env=env).stdout  # fmt: skip
    elapsed = time.perf_counter() - started
    data = json.loads(out)
    return elapsed, Digests(int(data["size"]), data["md5"], data["sha1"], data["sha256"])


def run_lccu(path: Path) -> tuple[float, Digests]:
    started = time.perf_counter()
    with path.open("rb", buffering=0) as fh:
        digests = hash_stream(fh)
    return time.perf_counter() - started, digests


def s3_settings() -> Settings:
    settings = load_settings()
    if settings.s3_endpoint:
        return settings
    try:
        urllib.request.urlopen("http://127.0.0.1:8333/healthz", timeout=2).close()
    except OSError:
        sys.exit("--s3: set LCCU_S3_ENDPOINT/ACCESS_KEY/SECRET_KEY or start the test server "
                 "(shared/services.md)")  # fmt: skip
    return dataclasses.replace(
        settings, s3_endpoint="127.0.0.1:8333", s3_access_key="lccu-access",
        s3_secret_key="lccu-secret-key", s3_secure=False, s3_bucket="lccu-bench",
        s3_retention_days=1,
    )  # fmt: skip


class _BlockReads:
    """Only ``readinto`` of the wrapped stream: hashes through the block cache and its
    read-ahead, the path every S3 read took before the prefetched sequential pass."""

    def __init__(self, stream: Any) -> None:
        self.readinto = stream.readinto

    def read(self, size: int = -1, /) -> bytes:
        raise NotImplementedError


def server_cpu(endpoint: str) -> Callable[[], float] | None:
    """CPU seconds so far of the process listening on the S3 endpoint's port (the S3 server
    shares this machine's cores), or None when it cannot be seen."""
    import psutil

    port = int(endpoint.rsplit(":", 1)[-1]) if ":" in endpoint else 80
    try:
        pid = next(
            c.pid
            for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.pid
        )
        server = psutil.Process(pid)
        server.cpu_times()
    except (StopIteration, psutil.Error):
        return None

    def seconds() -> float:
        times = server.cpu_times()
        return float(times.user + times.system)

    return seconds


@dataclasses.dataclass
class S3Pass:
    """One pass over the stored object: wall seconds, CPU seconds of this process and of
    the S3 server (None if not visible)."""

    wall: float
    cpu: float
    server: float | None

    def line(self, size_mb: float, local_rate: float) -> str:
        rate = size_mb / self.wall
        server = "" if self.server is None else f", S3 server CPU {self.server:.2f} s"
        return (
            f"{rate:8.1f} MB/s = {100 * rate / local_rate:.0f}% of local ({self.wall:.2f} s,"
            f" CPU {self.cpu:.2f} s{server})"
        )


def timed(fn: Callable[[], Digests], server: Callable[[], float] | None) -> tuple[Digests, S3Pass]:
    cpu0, server0 = cpu_seconds(resource.RUSAGE_SELF), server() if server else 0.0
    started = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - started
    cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu0
    return result, S3Pass(wall, cpu, server() - server0 if server else None)


def run_s3(path: Path, expected: Digests) -> tuple[float, S3Pass, S3Pass]:
    """(upload seconds, hash-back pass, hash-back pass through the block cache) through
    S3Store and the imaging reader."""
    from lccu.storage.s3 import S3Store

    settings = s3_settings()
    store = S3Store(settings)
    server = server_cpu(settings.s3_endpoint or "")
    key = f"bench/{path.name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}"
    started = time.perf_counter()
    with path.open("rb") as fh:
        record = store.put_evidence(key, fh, size=path.stat().st_size)
    upload = time.perf_counter() - started
    assert record.digests == expected, "hashes computed during upload differ"

    def prefetched() -> Digests:
        with store.open_evidence(record) as stream:
            return hash_stream(stream)

    def cached() -> Digests:
        with store.open_evidence(record) as stream:
            return hash_stream(_BlockReads(stream))

    back, sequential = timed(prefetched, server)
    assert back == expected, "hashes read back from S3 differ"
    back, by_blocks = timed(cached, server)
    assert back == expected, "hashes read back from S3 (block cache) differ"
    return upload, sequential, by_blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--s3", action="store_true", help="also hash the file back from S3")
    args = parser.parse_args()
    path = make_input(args.size_mib)
    size_mb = path.stat().st_size / 1e6
    warm(path)
    print(f"input: {path} ({size_mb:.0f} MB), cpus: {os.cpu_count()},"
          f" load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    cpu0 = cpu_seconds(resource.RUSAGE_CHILDREN)
    hd_time, hd = run_hashdeep(path)
    cpu1 = cpu_seconds(resource.RUSAGE_CHILDREN)
    own0 = cpu_seconds(resource.RUSAGE_SELF)
    lc_time, lc = run_lccu(path)
    own1 = cpu_seconds(resource.RUSAGE_SELF)
    cmd_time, cmd = run_lccu_command(path)
    cpu2 = cpu_seconds(resource.RUSAGE_CHILDREN)
    hd_cpu, lc_cpu, cmd_cpu = cpu1 - cpu0, own1 - own0, cpu2 - cpu1
    assert hd == lc == cmd, f"hashdeep and lccu disagree: {hd} vs {lc} vs {cmd}"
    hd_rate, lc_rate, cmd_rate = size_mb / hd_time, size_mb / lc_time, size_mb / cmd_time
    print(f"hashdeep md5+sha1+sha256: {hd_rate:8.1f} MB/s ({hd_time:.2f} s, CPU {hd_cpu:.2f} s)")
    print(f"lccu hash_stream:         {lc_rate:8.1f} MB/s ({lc_time:.2f} s, CPU {lc_cpu:.2f} s)"
          f"  ratio lccu/hashdeep {lc_rate / hd_rate:.2f}x")  # fmt: skip
    print(
        f"lccu hash (whole command): {cmd_rate:7.1f} MB/s ({cmd_time:.2f} s, "
        f"CPU {cmd_cpu:.2f} s)  ratio lccu/hashdeep {cmd_rate / hd_rate:.2f}x, "
        f"CPU {hd_cpu / cmd_cpu:.2f}x less"
    )
    if args.s3:
        upload, back, by_blocks = run_s3(path, lc)
        print(f"S3 upload (put_evidence, hashing in the same pass): {size_mb / upload:8.1f} MB/s")
        print(f"S3 hash-back, ranged GETs prefetched in parallel: {back.line(size_mb, lc_rate)}")
        print(
            f"S3 hash-back through the block cache (old path): {by_blocks.line(size_mb, lc_rate)}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"peak RSS: {peak:.0f} MiB (this process), {children:.0f} MiB (largest child: "
        f"hashdeep or the lccu hash command); "
        f"load now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
