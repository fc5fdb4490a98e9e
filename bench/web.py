"""Web targets of issue #7, side by side in one run: upload throughput and case-list latency.

    python bench/web.py [--size-mib 256] [--s3] [--cases 10000]

(a) Upload: the same seeded file (``bench/out/random-<size>MiB.bin``) is sent, in each of
    ``--rounds`` rounds, (1) with the minio SDK's own ``fput_object`` (S3 only: the plain
    SDK upload, no hashing, default settings), (2) with ``put_evidence`` (our store: one
    pass with MD5+SHA-1+SHA-256, retention) and (3) through ``lccu serve`` (uvicorn, its own
    process) as the upload page does it: ``POST /uploads``, ``PUT`` chunks of the page's
    size (``WebConfig.upload_chunk_bytes``) one after the other, ``POST /complete``; the
    bytes stream into the store while they arrive and the item and its custody event are
    recorded. The chunks are sent by ``http.client`` (a browser's network process costs
    the server's cores nothing; httpx, run too for comparison, costs them more). One
    warm-up round is not counted; then ``--rounds`` rounds, each running the ways one after
    the other. Reported per way: the best round, the ratio to the reference (the SDK) in
    each round and its median, and the CPU-seconds of each process (the S3 server's too,
    if it is a local SeaweedFS).
    Target: web >= 70% of the direct SDK upload. The store is local by default, S3 with
    ``--s3`` (``LCCU_S3_*`` settings, or the test server on 127.0.0.1:8333).
(b) Case list: ``--cases`` cases bulk-inserted into a fresh PostgreSQL schema
    (``LCCU_BENCH_PG``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), then
    the median of 20 ``GET /api/v1/cases`` and 20 ``GET /cases`` for a user of the zone.
    Target: < 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.client
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, select

# bench/ holds yara.py, which would shadow the yara module: load hash.py by path instead
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
_spec = importlib.util.spec_from_file_location("bench_hash", BENCH / "hash.py")
assert _spec and _spec.loader
bench_hash = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_hash)
MIB, make_input, s3_settings, warm = (bench_hash.MIB, bench_hash.make_input,
                                      bench_hash.s3_settings, bench_hash.warm)

from lccu.config import Settings, load_settings  # noqa: E402
from lccu.evidence.lab import open_lab  # noqa: E402
from lccu.evidence.models import Case, User  # noqa: E402
from lccu.testing.keys import KEY_ENV  # noqa: E402
from lccu.testing.postgres import temporary_schema  # noqa: E402
from lccu.web.config import WebConfig  # noqa: E402

PG = os.environ.get("LCCU_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHUNK = WebConfig.upload_chunk_bytes  # what the upload page sends per request
REPEAT = 20
SECRET = "bench-" + "x" * 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bootstrap(settings: Settings) -> str:
    """Zones, an operator and an investigator; returns an API token of the investigator."""
    boot = open_lab(None, settings=settings)
    boot.add_zone("PZ Vlas")
    boot.add_zone("PZ Polder")
    boot.add_user("admin", "PZ Vlas", "admin")
    boot.close()
    op = open_lab("admin", settings=settings)
    op.add_user("op", "PZ Vlas", "operator")
    op.add_user("vlas_inv", "PZ Vlas", "investigator")
    op.close()
    inv = open_lab("vlas_inv", settings=settings)
    from lccu.web.auth import Tokens

    _, token = Tokens(inv.db).create(inv.actor, "bench")
    inv.close()
    return token


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes ``lccu serve`` see exactly ``settings``."""
    env = {**os.environ, "LCCU_HOME": str(settings.home),
           "LCCU_DATABASE_URL": settings.database_url, "LCCU_WEB_SECRET": SECRET,
           "LCCU_WEB_SECURE_COOKIES": "false"}
    if settings.s3_endpoint:
        env.update(LCCU_S3_ENDPOINT=settings.s3_endpoint,
                   LCCU_S3_ACCESS_KEY=settings.s3_access_key or "",
                   LCCU_S3_SECRET_KEY=settings.s3_secret_key or "",
                   LCCU_S3_SECURE=str(settings.s3_secure).lower(),
                   LCCU_S3_BUCKET=settings.s3_bucket,
                   LCCU_S3_RETENTION_DAYS=str(settings.s3_retention_days))
    env.pop("LCCU_REDIS_URL", None)
    return env


@contextmanager
def serve(settings: Settings) -> Iterator[tuple[str, int]]:
    """``lccu serve`` (uvicorn) as its own process, as deployed; yields its base URL and
    pid."""
    port = free_port()
    command = [sys.executable, "-c", "from lccu.cli.main import main; main()", "serve",
               "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(command, env=settings_env(settings),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"lccu serve did not start: {proc.stderr.read().decode()[-2000:]}"
                             if proc.stderr else "lccu serve did not start")
                time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def s3_server_pid(endpoint: str | None) -> int | None:
    """The pid of a SeaweedFS ``weed`` process on this machine, to account its CPU."""
    if not endpoint:
        return None
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() == "weed":
                return int(stat.parent.name)
        except OSError:
            continue
    return None


@dataclasses.dataclass
class Measured:
    """Seconds of one upload, and CPU-seconds spent on it per process."""

    seconds: float
    cpu: dict[str, float]


def measure(run: Callable[[], object], pids: dict[str, int | None]) -> Measured:
    watched = {name: pid for name, pid in pids.items() if pid}
    before = {name: cpu_seconds(pid) for name, pid in watched.items()}
    own = time.process_time()
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    used = {name: cpu_seconds(pid) - before[name] for name, pid in watched.items()}
    used["client"] = time.process_time() - own
    return Measured(elapsed, used)


def sdk_put(settings: Settings, path: Path, pids: dict[str, int | None]) -> Measured:
    """The minio SDK alone, as a script would upload the file (no hashing, no lock)."""
    from lccu.storage.s3 import make_client

    client = make_client(settings)
    key = f"bench/sdk-{uuid.uuid4().hex}"
    return measure(lambda: client.fput_object(settings.s3_bucket, key, str(path)), pids)


def direct_put(settings: Settings, path: Path, pids: dict[str, int | None]) -> Measured:
    """Our store's ``put_evidence``: the upload and the three digests in one pass."""
    from lccu.storage import open_store

    store = open_store(settings)
    key = f"bench/direct-{uuid.uuid4().hex}"

    def put() -> None:
        with path.open("rb") as fh:
            store.put_evidence(key, fh, size=path.stat().st_size)

    try:
        return measure(put, pids)
    finally:
        store.close()


def web_upload(base: str, token: str, path: Path, pids: dict[str, int | None],
               lean: bool = True) -> tuple[Measured, float, str]:
    """The upload as the page does it, from ``POST /uploads`` to the recorded item; also
    the seconds of the final ``complete`` alone and the recorded SHA-256.

    ``lean``: the chunks go out through ``http.client`` on one kept-alive connection, which
    hands each chunk to the kernel in one ``sendall``, as a browser's network process does
    (on a real deployment the browser is not on the server at all). Otherwise through
    httpx, whose pure-Python HTTP/1.1 costs the shared cores more CPU."""
    headers = {"Authorization": f"Bearer {token}"}
    size = path.stat().st_size
    ended: dict[str, object] = {}
    with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
        case = client.post("/api/v1/cases", json={"title": "upload bench"}).json()["id"]

        def upload() -> None:
            started = client.post(f"/api/v1/cases/{case}/uploads", json={
                "filename": path.name, "size": size, "description": "bench"}).json()
            target = f"/api/v1/uploads/{started['upload_id']}"
            url = httpx.URL(base)
            conn = http.client.HTTPConnection(url.host, url.port, timeout=600)
            with path.open("rb") as fh, contextlib.closing(conn):
                for offset in range(0, size, CHUNK):
                    if not lean:
                        client.put(target, params={"offset": offset},
                                   content=fh.read(CHUNK)).raise_for_status()
                        continue
                    conn.request("PUT", f"{target}?offset={offset}", body=fh.read(CHUNK),
                                 headers={**headers,
                                          "Content-Type": "application/octet-stream"})
                    answer = conn.getresponse()
                    if answer.status != 200:
                        sys.exit(f"chunk at {offset}: {answer.status} {answer.read()[:200]!r}")
                    answer.read()
            sent = time.perf_counter()
            done = client.post(f"{target}/complete")
            done.raise_for_status()
            ended.update(complete=time.perf_counter() - sent, sha256=done.json()["sha256"])

        measured = measure(upload, pids)
    return measured, float(ended["complete"]), str(ended["sha256"])  # type: ignore[arg-type]


def insert_cases(settings: Settings, count: int) -> None:
    """``count`` cases of the investigator's zone in one bulk INSERT (no custody rows)."""
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        user, zone = conn.execute(select(User.id, User.zone_id)
                                  .where(User.username == "vlas_inv")).one()
        rows = [{"id": str(uuid.uuid4()), "number": f"BENCH-{i:06d}",
                 "title": f"Bench case {i}", "zone_id": zone, "reference": f"PV {i}",
                 "status": "open", "created_by": user,
                 "created_at": f"2026-01-01T00:00:{i % 60:02d}.{i:06d}+00:00",
                 "head_seq": 0, "head_hash": "0" * 64} for i in range(count)]
        conn.execute(insert(Case), rows)
    engine.dispose()


def median_ms(client: httpx.Client, url: str) -> tuple[float, int]:
    times = []
    size = 0
    for _ in range(REPEAT):
        started = time.perf_counter()
        answer = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
        size = len(answer.content)
    return statistics.median(times), size


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report_uploads(results: dict[str, list[Measured]], size_mb: float, store: str,
                   rounds: int) -> None:
    """Best round per way, the web upload's ratio per round (to the same round's reference)
    and the CPU-seconds each process spent, averaged over the rounds."""
    names = list(results)
    reference = names[0]
    print(f"(a) upload {size_mb:.0f} MB into the {store} store; after a warm-up, {rounds}"
          f" rounds; reference: {reference}")
    for name in names:
        runs = results[name]
        best = min(m.seconds for m in runs)
        ratios = [ref.seconds / m.seconds for ref, m in zip(results[reference], runs,
                                                               strict=True)]
        cpu = {proc: statistics.mean(m.cpu[proc] for m in runs) for proc in runs[0].cpu}
        print(f"    {name:26s} best {size_mb / best:6.1f} MB/s ({best:.2f} s);"
              f" per round {', '.join(f'{100 * r:.0f}%' for r in ratios)} of the reference,"
              f" median {100 * statistics.median(ratios):.0f}%;"
              f" CPU-s {', '.join(f'{p} {c:.2f}' for p, c in cpu.items())}")
    print("    target: web upload >= 70% of the direct SDK upload")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--cases", type=int, default=10_000, help="0 skips (b)")
    parser.add_argument("--s3", action="store_true", help="S3 evidence store, not local")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    path = make_input(args.size_mib)
    warm(path)
    size_mb = path.stat().st_size / 1e6
    print(f"cpus: {os.cpu_count()}, load: {load()}")
    with tempfile.TemporaryDirectory(prefix="lccu-bench-web-") as home, \
            temporary_schema(PG, "lccu_bench") as url:
        settings = dataclasses.replace(load_settings(
            {"LCCU_HOME": home, "LCCU_DATABASE_URL": url, **KEY_ENV}))
        if args.s3:
            s3 = s3_settings()
            settings = dataclasses.replace(settings, **{
                f: getattr(s3, f) for f in ("s3_endpoint", "s3_access_key", "s3_secret_key",
                                            "s3_secure", "s3_retention_days")},
                s3_bucket=f"{s3.s3_bucket}-{uuid.uuid4().hex[:8]}")
        token = bootstrap(settings)
        store = "S3" if args.s3 else "local"
        with serve(settings) as (base, serve_pid):
            from lccu.storage import open_store

            open_store(settings).close()  # creates the bucket with object lock first
            pids = {"lccu serve": serve_pid, "S3 server": s3_server_pid(settings.s3_endpoint)}
            ways: dict[str, Callable[[], Measured]] = {}
            if args.s3:
                ways["minio SDK fput_object"] = lambda: sdk_put(settings, path, pids)
            ways["lccu put_evidence"] = lambda: direct_put(settings, path, pids)
            complete: list[float] = []

            def web() -> Measured:
                measured, last, sha = web_upload(base, token, path, pids)
                complete.append(last)
                shas.add(sha)
                return measured

            shas: set[str] = set()
            ways["web upload"] = web
            ways["web upload, httpx client"] = lambda: web_upload(base, token, path, pids,
                                                                  lean=False)[0]
            for run in ways.values():  # warm-up: connections, threads, the server's caches
                run()
            complete.clear()
            results: dict[str, list[Measured]] = {name: [] for name in ways}
            for _ in range(args.rounds):
                for name, run in ways.items():
                    results[name].append(run())
            report_uploads(results, size_mb, store, args.rounds)
            print(f"    the final complete took {min(complete):.2f}-{max(complete):.2f} s;"
                  f" recorded sha256 {', '.join(sorted(shas))}")
            if args.cases > 0:
                insert_cases(settings, args.cases)
                headers = {"Authorization": f"Bearer {token}"}
                with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                    listed = client.get("/api/v1/cases").json()
                    total = listed.get("total") if isinstance(listed, dict) else len(listed)
                    api, api_bytes = median_ms(client, "/api/v1/cases")
                from lccu.web.auth import Sessions

                lab = open_lab("vlas_inv", settings=settings)
                cookie = Sessions(lab.db, SECRET, 1).create(lab.actor, "127.0.0.1", None)
                lab.close()
                with httpx.Client(base_url=base, cookies={"lccu_session": cookie},
                                  timeout=60) as client:
                    page, page_bytes = median_ms(client, "/cases")
                print(f"(b) case list, {args.cases} cases of the zone in PostgreSQL "
                      f"(total reported: {total}), median of {REPEAT}:")
                print(f"    GET /api/v1/cases: {api:7.1f} ms ({api_bytes} bytes)")
                print(f"    GET /cases:        {page:7.1f} ms ({page_bytes} bytes)"
                      f"  (target < 100 ms)")
    print(f"load now: {load()}")


if __name__ == "__main__":
    main()
