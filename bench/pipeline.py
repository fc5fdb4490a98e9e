"""Pipeline throughput: in-process stages vs the Redis queue with 1 and 2 worker processes.

    python bench/pipeline.py [--size-mib 128] [--segment-mib 32] [--append-docs]

Builds the planted test disk padded with seeded random bytes to ``--size-mib``, takes it in
as evidence of a throw-away unit (``bench/out/pipeline-home``, SQLite; the evidence store
is S3 when ``LCCU_S3_ENDPOINT`` is set, else local), then times on the same item:

1. ``lccu scan`` (``run_scan``: one process, no database);
2. ``lccu process`` embedded (the queue's stages, drained in this process);
3. the same run on 1 and on 2 ``lccu worker`` processes over Redis (``LCCU_REDIS_URL``,
   default ``redis://127.0.0.1:6379/0`` with a private key namespace);
4. a rerun with every stage result reused.

Stage results are forgotten between 2 and 3 so each run does the work. Queue overhead per
stage = (1-worker time - embedded time) / stages. ``--append-docs`` appends a
``## Pipeline`` section to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# bench/yara.py would shadow yara-python for everything imported from here
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from sqlalchemy import delete  # noqa: E402

from lccu.config import Settings, load_settings  # noqa: E402
from lccu.pipeline import ScanOptions, run_scan  # noqa: E402
from lccu.testing.images import build_mbr_fat32_ext4  # noqa: E402
from lccu.testing.keys import KEY_ENV  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
MIB = 1024 * 1024


def make_image(size_mib: int) -> Path:
    path = OUT / f"pipeline-{size_mib}MiB.img"
    if path.exists() and path.stat().st_size == size_mib * MIB:
        return path
    disk = build_mbr_fat32_ext4(OUT / "pipeline-disk.img")
    rng = random.Random(7)
    with path.open("wb") as out, disk.image.open("rb") as src:
        shutil.copyfileobj(src, out)
        while out.tell() < size_mib * MIB:
            out.write(rng.randbytes(min(8 * MIB, size_mib * MIB - out.tell())))
    return path


def make_unit(home: Path, image: Path) -> tuple[Settings, str, dict[str, str]]:
    from lccu.evidence.lab import open_lab

    shutil.rmtree(home, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k.startswith("LCCU_S3_")}
    env |= {"LCCU_HOME": str(home), "LCCU_DATABASE_URL": f"sqlite:///{home}/lccu.sqlite3",
            **KEY_ENV}
    settings = load_settings(env)
    boot = open_lab(None, settings)
    boot.add_zone("PZ Bench")
    boot.add_user("admin", "PZ Bench", "admin")
    op = open_lab("admin", settings)
    op.add_user("op", "PZ Bench", "operator")
    op.add_user("inv", "PZ Bench", "investigator")
    inv = open_lab("inv", settings)
    case = inv.create_case("benchmark")
    evidence = inv.add_evidence(case.id, image, description="bench image", exhibit_number="B1")
    return settings, str(evidence.id), env


def forget_results(lab: Any) -> None:
    from lccu.evidence.runstate import StageResult

    with lab.db.session() as session:
        session.execute(delete(StageResult))


def timed_embedded(lab: Any, evidence: str) -> tuple[float, int]:
    from lccu.storage import open_store
    from lccu.tasks import drain, submit

    start = time.perf_counter()
    submit(lab, evidence)
    stages = drain(lab, open_store(lab.settings))
    return time.perf_counter() - start, stages


def timed_workers(lab: Any, evidence: str, env: dict[str, str], count: int) -> float:
    from lccu.tasks import run_status, submit
    from lccu.tasks.broker import declare, make_broker

    procs = [subprocess.Popen([sys.executable, "-m", "lccu.cli.main", "worker"],
                              env={**os.environ, **env}, stderr=subprocess.DEVNULL)
             for _ in range(count)]
    try:
        time.sleep(4)  # worker start-up (imports, broker connection) is not what we measure
        broker = make_broker(dataclasses.replace(
            lab.settings, redis_url=env["LCCU_REDIS_URL"],
            broker_namespace=env["LCCU_BROKER_NAMESPACE"]))
        actor = declare(broker)
        start = time.perf_counter()
        sub = submit(lab, evidence)
        for _ in range(sub.queued):
            actor.send(sub.run_id)
        while run_status(lab, sub.run_id)["state"] not in ("done", "failed"):
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        if run_status(lab, sub.run_id)["state"] != "done":
            sys.exit(f"the run failed: {run_status(lab, sub.run_id)}")
        broker.close()
        return elapsed
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=128)
    parser.add_argument("--segment-mib", type=int, default=32)
    parser.add_argument("--append-docs", action="store_true")
    args = parser.parse_args()
    from lccu.evidence.lab import open_lab

    os.environ["LCCU_SEGMENT_SIZE"] = str(args.segment_mib * MIB)
    OUT.mkdir(parents=True, exist_ok=True)
    image = make_image(args.size_mib)
    settings, evidence, env = make_unit(OUT / "pipeline-home", image)
    env |= {"LCCU_USER": "op", "LCCU_SEGMENT_SIZE": str(args.segment_mib * MIB),
            "LCCU_REDIS_URL": os.environ.get("LCCU_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "LCCU_BROKER_NAMESPACE": f"lccu-bench-{os.getpid()}"}
    os.environ["LCCU_BROKER_NAMESPACE"] = env["LCCU_BROKER_NAMESPACE"]
    lab = open_lab("inv", settings)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    run_scan(image, OUT / "pipeline-scan", ScanOptions())
    scan_s = time.perf_counter() - start
    embedded_s, stages = timed_embedded(lab, evidence)
    rows = [("lccu scan (one process, no database)", scan_s),
            ("lccu process, embedded (queue stages in-process)", embedded_s)]
    for count in (1, 2):
        forget_results(lab)
        rows.append((f"lccu process, {count} worker process(es) over Redis",
                     timed_workers(lab, evidence, env, count)))
    rows.append(("rerun, every stage result reused (1 worker)",
                 timed_workers(lab, evidence, env, 1)))
    mb = args.size_mib * MIB / 1e6
    store = "S3" if settings.s3_endpoint else "local store"
    lines = [f"image {args.size_mib} MiB ({store}), {stages} stage runs "
             f"({args.segment_mib} MiB segments), load average at start {load:.2f}", "",
             "| run | seconds | MB/s |", "|---|---|---|"]
    lines += [f"| {name} | {sec:.2f} | {mb / sec:.1f} |" for name, sec in rows]
    overhead = (rows[2][1] - embedded_s) / stages
    lines += ["", f"queue overhead per stage (1 worker - embedded) / stages: "
              f"{overhead * 1000:.0f} ms; 2 workers vs 1: {rows[2][1] / rows[3][1]:.2f}x"]
    print("\n".join(lines))
    if args.append_docs:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        with (Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md").open("a") as fh:
            fh.write(f"\n## Pipeline\n\nMeasured {when}, `python bench/pipeline.py "
                     f"--size-mib {args.size_mib} --segment-mib {args.segment_mib}`, on the "
                     "shared 2-core machine while other engineers ran their tests (busy: "
                     "read the figures as rough).\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
