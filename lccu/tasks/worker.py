"""``lccu worker``: Dramatiq worker processes that take work tokens from Redis.

Each process opens the lab once as the operator in ``LCCU_USER`` and runs ``threads``
Dramatiq worker threads. ``processes > 1`` starts that many child processes (each a
``lccu worker --processes 1``) so a SIGKILL takes down one process, never all of them.
On start a worker sends one token per queued stage: tokens lost with a Redis that restarted
without persistence are made good (extra tokens find nothing and are dropped).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from typing import Any

from sqlalchemy import func, select

from lccu.config import Settings
from lccu.tasks.broker import QUEUE, declare, make_broker
from lccu.tasks.state import StageRun


def _requeue_tokens(lab: Any, actor: Any) -> int:
    with lab.db.session() as session:
        count = session.scalar(select(func.count()).select_from(StageRun)
                               .where(StageRun.state.in_(("queued", "running")))) or 0
    for _ in range(count):
        actor.send("recovery")
    return int(count)


def run_worker(settings: Settings, *, threads: int = 1, queues: tuple[str, ...] = (QUEUE,),
               log: Any = print) -> None:
    """Run one worker process until SIGTERM or SIGINT (then finish the current stage)."""
    from dramatiq import Worker

    from lccu.tasks.broker import _operator

    broker = make_broker(settings)
    actor = declare(broker)
    lab, _store = _operator()
    sent = _requeue_tokens(lab, actor)
    worker = Worker(broker, queues=set(queues), worker_threads=threads)
    worker.start()
    log(f"lccu worker: {threads} thread(s) on {', '.join(queues)} as {lab.actor.username} "
        f"({sent} recovery token(s) sent)")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    worker.stop()
    broker.close()


def run_processes(count: int, threads: int, queues: tuple[str, ...]) -> int:
    """Start ``count`` single-process workers and wait; SIGTERM is passed on to them."""
    args = [sys.executable, "-m", "lccu.cli.main", "worker", "--processes", "1",
            "--threads", str(threads)]
    for q in queues:
        args += ["--queues", q]
    children = [subprocess.Popen(args) for _ in range(count)]

    def forward(*_: object) -> None:
        for child in children:
            child.terminate()

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return max(child.wait() for child in children)
