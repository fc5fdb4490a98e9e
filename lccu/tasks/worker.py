"""``lccu worker``: Dramatiq worker processes that take work tokens from Redis.

Each process opens the lab once as the operator in ``LCCU_USER`` and runs ``threads``
Dramatiq worker threads. ``processes > 1`` starts that many child processes (each a
``lccu worker --processes 1``) so a SIGKILL takes down one process, never all of them, and
supervises them: a child that dies is restarted with a backoff, a crash loop is given up.
A janitor thread in every worker returns stages whose lease expired to the queue and sends
tokens for them, and re-sends tokens that are overdue by the case database (lost with a
Redis that restarted without persistence, or held by a dead worker); extra tokens find
nothing to do and are dropped. See docs/workers.md for the worst-case delays.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lccu.config import Settings
from lccu.tasks import health, metrics, queue
from lccu.tasks.broker import QUEUE, declare, make_broker

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab


def top_up(lab: Lab, actor: Any, idle: int) -> int:
    """Send the work tokens the case database says are missing; returns how many.

    Stages whose lease expired go back to the queue, each with a new token. Then up to
    ``idle`` (this process's free threads) queued stages whose token is overdue get another
    (:func:`lccu.tasks.queue.due_tokens`): lost with a Redis restarted without its data,
    or held unacknowledged by a dead worker. Nothing is read from Dramatiq's Redis keys;
    extra tokens find nothing to do and are dropped."""
    recovered = lab.recover_stages()
    overdue = lab.overdue_tokens(idle)
    for _ in range(recovered + overdue):
        actor.send("recovery")
    return recovered + overdue


def _janitor(lab: Lab, actor: Any, stop: threading.Event, log: Any, wid: str,
             threads: int) -> None:
    """Every half lease (and once at start, so a fresh worker takes over at once): renew
    this worker's heartbeat and top up tokens."""
    from lccu.tasks.runner import BUSY

    every = max(1.0, queue.lease_seconds() / 2)
    first = True
    while first or not stop.wait(every):
        if not first:
            try:
                health.beat(lab, wid)
            except Exception as exc:  # the database away: the heartbeat goes stale
                log(f"lccu worker: heartbeat: {type(exc).__name__}: {exc}")
        first = False
        try:
            sent = top_up(lab, actor, max(0, threads - BUSY.count))
        except Exception as exc:  # Redis or the database away: try again next round
            log(f"lccu worker: janitor: {type(exc).__name__}: {exc}")
            continue
        if sent:
            log(f"lccu worker: sent {sent} token(s) for expired leases or overdue tokens")


def run_worker(settings: Settings, *, threads: int = 1, queues: tuple[str, ...] = (QUEUE,),
               log: Any = print) -> None:
    """Run one worker process until SIGTERM or SIGINT (then finish the current stage)."""
    from dramatiq import Worker

    from lccu.tasks.broker import _operator

    broker = make_broker(settings)
    actor = declare(broker)
    lab, _store = _operator(settings)
    url = _metrics_endpoint(lab, settings, log)
    wid = health.register(lab, threads=threads, metrics_url=url)
    worker = Worker(broker, queues=set(queues), worker_threads=threads)
    worker.start()
    log(f"lccu worker: {threads} thread(s) on {', '.join(queues)} as {lab.actor.username} "
        f"(registered as {wid})")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    janitor = threading.Thread(target=_janitor, args=(lab, actor, stop, log, wid, threads),
                               daemon=True, name="lccu-janitor")
    janitor.start()
    stop.wait()
    worker.stop()
    broker.close()
    with contextlib.suppress(Exception):  # a killed worker goes stale instead
        health.unregister(lab, wid)


ENDPOINT_FILE = "endpoint"  # in the supervisor's metrics directory: the URL it serves


def _metrics_endpoint(lab: Lab, settings: Settings, log: Any) -> str | None:
    """Serve this process's metrics (``LCCU_WORKER_METRICS_PORT``), or, as a supervised
    child, return the URL its supervisor serves them at."""
    shared = metrics.multiprocess_dir()
    if shared is not None:
        path = os.path.join(shared, ENDPOINT_FILE)
        return Path(path).read_text().strip() if os.path.exists(path) else None
    if not settings.worker_metrics_port:
        return None
    url = metrics.serve(metrics.registry_for(lab), settings.worker_metrics_host,
                        settings.worker_metrics_port)
    log(f"lccu worker: Prometheus metrics at {url}")
    return url


@contextlib.contextmanager
def _supervisor_metrics(settings: Settings | None, log: Any) -> Iterator[None]:
    """With ``LCCU_WORKER_METRICS_PORT``: the children write their counters to a private
    directory (prometheus_client multiprocess mode) and this process serves their sum."""
    if settings is None or not settings.worker_metrics_port:
        yield
        return
    from lccu.evidence.lab import open_lab

    shared = tempfile.mkdtemp(prefix="lccu-worker-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = shared
    lab = open_lab(settings=settings)
    try:
        url = metrics.serve(metrics.registry_for(lab, multiprocess_dir=shared),
                            settings.worker_metrics_host, settings.worker_metrics_port)
        with open(os.path.join(shared, ENDPOINT_FILE), "w") as fh:
            fh.write(url)
        log(f"lccu worker: Prometheus metrics of every child at {url}")
        yield
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        lab.close()
        shutil.rmtree(shared, ignore_errors=True)


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


#: defaults of ``lccu worker --max-restarts / --restart-window / --restart-delay``
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
RESTART_DELAY = 1.0
#: the restart delay doubles with every crash of a crash loop up to this (or the first delay)
RESTART_DELAY_MAX = 30.0
_POLL = 0.2  # how often the parent looks at its children (a signal is handled at once)


def death(code: int) -> str:
    """How a child ended, for a log line: ``exited with status 3`` or ``killed by SIGKILL``."""
    if code >= 0:
        return f"exited with status {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


@dataclass
class _Slot:
    """One of the ``count`` places for a child: its process, or when it is restarted next.

    ``streak`` counts the crashes of the current crash loop: crashes less than the restart
    window apart; one further apart starts a new loop (a child that ran long enough)."""

    number: int
    proc: subprocess.Popen[bytes] | None = None
    restart_at: float | None = None
    streak: int = 0
    last_crash: float = -math.inf
    last_code: int = 0
    gave_up: bool = False


def run_processes(count: int, threads: int, queues: tuple[str, ...], *,
                  max_restarts: int = MAX_RESTARTS, restart_window: float = RESTART_WINDOW,
                  restart_delay: float = RESTART_DELAY, settings: Settings | None = None,
                  log: Callable[[str], Any] = lambda line: print(line, file=sys.stderr,
                                                                 flush=True)) -> int:
    """See :func:`_supervise`; with ``settings`` asking for metrics, also serves the sum of
    the children's."""
    with _supervisor_metrics(settings, log):
        return _supervise(count, threads, queues, max_restarts=max_restarts,
                          restart_window=restart_window, restart_delay=restart_delay, log=log,
                          user=settings.user if settings is not None else None)


def _supervise(count: int, threads: int, queues: tuple[str, ...], *, max_restarts: int,
               restart_window: float, restart_delay: float,
               log: Callable[[str], Any], user: str | None = None) -> int:
    """Start ``count`` single-process workers and keep them running until a stop is asked.

    A child that dies without a stop asked (OOM killer, a segfault in a C library on a
    hostile image, an unexpected exit) is restarted after ``restart_delay`` seconds, doubled
    per crash of a crash loop up to :data:`RESTART_DELAY_MAX`, so the server keeps its
    capacity; its Dramatiq token is redelivered and its stage retried once the lease
    expires. Crashes less than ``restart_window`` seconds apart form a crash loop; a slot
    whose loop exceeds ``max_restarts`` restarts is given up (a restart cannot fix a broken
    configuration), and with every slot given up this returns the last child's status
    (1 if that was 0) instead of restarting forever.

    SIGTERM or SIGINT is passed on as SIGTERM (each child finishes its current stage, then
    exits; nothing is restarted any more); a second one kills the children at once (their
    stages are taken over when their leases expire). Children get SIGTERM from the kernel
    if this process dies."""
    acting = ["--as", user] if user else []  # the children act as the supervisor's user
    args = [sys.executable, "-m", "lccu.cli.main", *acting, "worker", "--processes", "1",
            "--threads", str(threads)]
    for q in queues:
        args += ["--queues", q]
    slots = [_Slot(number) for number in range(1, count + 1)]
    asked: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        asked.append(signum)
        for slot in slots:
            if slot.proc is not None and slot.proc.poll() is None:
                slot.proc.send_signal(signal.SIGTERM if len(asked) == 1 else signal.SIGKILL)

    def start(slot: _Slot) -> int:
        slot.restart_at = None
        slot.proc = proc = subprocess.Popen(args, preexec_fn=_die_with_parent(os.getpid()))
        if asked:  # the stop came while the child was being started: pass it on
            proc.send_signal(signal.SIGTERM if len(asked) == 1 else signal.SIGKILL)
        return proc.pid

    def crashed(slot: _Slot, proc: subprocess.Popen[bytes], code: int) -> None:
        now = time.monotonic()
        slot.proc, slot.last_code = None, code
        slot.streak = slot.streak + 1 if now - slot.last_crash < restart_window else 1
        slot.last_crash = now
        what = f"lccu worker: child {slot.number} (pid {proc.pid}) {death(code)}"
        if slot.streak > max_restarts:
            slot.gave_up = True
            left = sum(not s.gave_up for s in slots)
            log(f"{what}; crash loop: {slot.streak} crashes each less than "
                f"{restart_window:g} s after the previous one (--max-restarts "
                f"{max_restarts}), not restarting it; {left} of {count} children left")
            return
        delay = min(restart_delay * 2 ** (slot.streak - 1), max(RESTART_DELAY_MAX, restart_delay))
        slot.restart_at = now + delay
        log(f"{what}; restarting it in {delay:g} s "
            f"(restart {slot.streak} of {max_restarts} in this crash loop)")

    # before the first child exists, so a stop during start-up is never lost
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for slot in slots:
        if asked:
            break
        start(slot)
    running_at_stop: list[subprocess.Popen[bytes]] | None = None
    while True:
        if asked:
            if running_at_stop is None:  # nothing is started or restarted from now on
                running_at_stop = [s.proc for s in slots if s.proc is not None]
            if all(proc.poll() is not None for proc in running_at_stop):
                return exit_status([proc.wait() for proc in running_at_stop], True)
        else:
            for slot in slots:
                if slot.proc is not None and (code := slot.proc.poll()) is not None and not asked:
                    crashed(slot, slot.proc, code)
                if slot.restart_at is not None and time.monotonic() >= slot.restart_at \
                        and not asked:
                    log(f"lccu worker: child {slot.number} restarted as pid {start(slot)}")
            if all(slot.gave_up for slot in slots):
                last = max(slots, key=lambda slot: slot.last_crash)
                status = exit_status([last.last_code], False) or 1
                log(f"lccu worker: every child crashed repeatedly and was given up; "
                    f"exiting with status {status} (the messages above say how they died)")
                return status
        time.sleep(_POLL)
