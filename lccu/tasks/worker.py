"""``lccu worker``: Dramatiq worker processes that take work tokens from Redis.

Each process opens the lab once as the operator in ``LCCU_USER`` and runs ``threads``
Dramatiq worker threads. ``processes > 1`` starts that many child processes (each a
``lccu worker --processes 1``) so a SIGKILL takes down one process, never all of them.
A janitor thread in every worker returns stages whose lease expired to the queue and sends
tokens for them, and makes good tokens lost with a Redis that restarted without
persistence (extra tokens find nothing to do and are dropped).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from lccu.config import Settings
from lccu.tasks import queue
from lccu.tasks.broker import QUEUE, declare, make_broker
from lccu.tasks.state import StageRun


def top_up(lab: Any, broker: Any, actor: Any) -> int:
    """Make sure every queued or running stage has a token in Redis; returns tokens sent.

    Expired leases go back to the queue first. A token stays in Redis (``<queue>.msgs`` or
    the delay queue ``<queue>.DQ.msgs``) until a worker acknowledges it, so fewer tokens
    than stages means some were lost (a Redis restarted without persistence)."""
    with lab.db.session() as session:
        queue.recover(session)
    with lab.db.session() as session:
        needed = session.scalar(select(func.count()).select_from(StageRun)
                                .where(StageRun.state.in_(("queued", "running")))) or 0
    ns = f"{broker.namespace}:{QUEUE}"
    outstanding = int(broker.client.hlen(f"{ns}.msgs")) + int(broker.client.hlen(f"{ns}.DQ.msgs"))
    missing = max(0, int(needed) - outstanding)
    for _ in range(missing):
        actor.send("recovery")
    return missing


def _janitor(lab: Any, broker: Any, actor: Any, stop: threading.Event, log: Any) -> None:
    every = max(1.0, queue.lease_seconds() / 2)
    while not stop.wait(every):
        try:
            sent = top_up(lab, broker, actor)
        except Exception as exc:  # Redis or the database away: try again next round
            log(f"lccu worker: janitor: {type(exc).__name__}: {exc}")
            continue
        if sent:
            log(f"lccu worker: sent {sent} token(s) for expired leases or lost tokens")


def run_worker(settings: Settings, *, threads: int = 1, queues: tuple[str, ...] = (QUEUE,),
               log: Any = print) -> None:
    """Run one worker process until SIGTERM or SIGINT (then finish the current stage)."""
    from dramatiq import Worker

    from lccu.tasks.broker import _operator

    broker = make_broker(settings)
    actor = declare(broker)
    lab, _store = _operator()
    worker = Worker(broker, queues=set(queues), worker_threads=threads)
    worker.start()
    log(f"lccu worker: {threads} thread(s) on {', '.join(queues)} as {lab.actor.username}")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    janitor = threading.Thread(target=_janitor, args=(lab, broker, actor, stop, log),
                               daemon=True, name="lccu-janitor")
    janitor.start()
    stop.wait()
    worker.stop()
    broker.close()


def _die_with_parent(parent: int) -> Callable[[], None]:
    """For a child, before exec: the kernel sends it SIGTERM when ``parent`` dies (Linux
    ``PR_SET_PDEATHSIG``), so a parent killed with SIGKILL leaves no orphan workers."""

    def arm() -> None:
        import ctypes

        with contextlib.suppress(OSError, AttributeError):  # not Linux: SIGTERM still works
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(0)

    return arm


def exit_status(codes: list[int], stopping: bool) -> int:
    """One exit status for the children's: 0 when each exited 0 (or, after a stop was
    asked, died of that SIGTERM/SIGINT before it could handle it), else the first other
    status, a death by signal N as 128 + N like a shell."""
    stops = (-signal.SIGTERM, -signal.SIGINT, -signal.SIGKILL) if stopping else ()
    for code in codes:
        if code != 0 and code not in stops:
            return 128 - code if code < 0 else code
    return 0


def run_processes(count: int, threads: int, queues: tuple[str, ...]) -> int:
    """Start ``count`` single-process workers and wait for all of them.

    SIGTERM or SIGINT is passed on as SIGTERM (each child finishes its current stage, then
    exits); a second one kills the children at once (their stages are taken over when
    their leases expire). Children get SIGTERM from the kernel if this process dies."""
    args = [sys.executable, "-m", "lccu.cli.main", "worker", "--processes", "1",
            "--threads", str(threads)]
    for q in queues:
        args += ["--queues", q]
    children: list[subprocess.Popen[bytes]] = []
    asked: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        asked.append(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM if len(asked) == 1 else signal.SIGKILL)

    # before the first child exists, so a stop during start-up is never lost
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for _ in range(count):
        if asked:
            break
        children.append(subprocess.Popen(args, preexec_fn=_die_with_parent(os.getpid())))
    return exit_status([child.wait() for child in children], bool(asked))
