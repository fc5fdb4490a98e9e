"""`lccu worker --processes N` and `lccu status --watch` as real processes over real Redis.

The pool is started in its own session so that cleanup can kill whatever it left behind
(only processes this test started); the assertions themselves look at single pids.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lccu.pipeline import ScanOptions, run_scan
from lccu.tasks import run_status, submit
from lccu.testing.images import PlantedManifest, build_mbr_fat32_ext4
from tests.tasks.conftest import Unit, send_tokens, wait_runs
from tests.tasks.helpers import carved_set, file_set, load_report, processed_events, yara_set

pytestmark = pytest.mark.xdist_group("timed")  # signals, killed children: one timed test at a time

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
READY = b"lccu worker: 1 thread(s) on lccu"


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state, ppid, ...), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (exited, not reaped yet) does not count."""
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                found.add(int(entry.name))
    return found


def in_session(sid: int) -> set[int]:
    """Live processes of session ``sid`` (the pool's, started with start_new_session)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[3]) == sid and fields[0] not in ("Z", "X"):
                found.add(int(entry.name))
    return found


def wait_until(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not seen within {timeout} s")
        time.sleep(0.1)


@pytest.fixture
def start_pool(unit: Unit, tmp_path: Path
               ) -> Iterator[Callable[..., tuple[subprocess.Popen[bytes], Path]]]:
    """``start(*options, **env)`` starts `lccu worker --processes 2 *options` with ``env``
    over the unit's; (its process, its log file). Killed with its session at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*options: str, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"pool-{len(started)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "lccu.cli.main", "worker", "--processes", "2", *options],
                env={**os.environ, **unit.env, **env}, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        started.append(proc)
        return proc, log

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        # whatever of this session the test failed to stop (an orphan is a failure anyway)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def pool(start_pool: Callable[..., tuple[subprocess.Popen[bytes], Path]]
         ) -> tuple[subprocess.Popen[bytes], Path]:
    """`lccu worker --processes 2` started now; (its process, its log file)."""
    return start_pool()


def ready_children(proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> set[int]:
    """The pool's two children, once both have logged that they consume the queue."""
    wait_until(lambda: log.read_bytes().count(READY) == 2 or proc.poll() is not None,
               timeout, "two worker children consuming")
    assert proc.poll() is None, log.read_text()
    children = children_of(proc.pid)
    assert len(children) == 2, (children, log.read_text())
    return children


@SQLITE_ONLY
def test_two_processes_share_the_work_and_stop_on_sigterm(
        unit: Unit, pool: tuple[subprocess.Popen[bytes], Path], planted_disk: PlantedManifest,
        tmp_path: Path) -> None:
    """Two items on `lccu worker --processes 2`: (a) each report equals `lccu scan`'s on
    that image; (b) the `processed` events name exactly the two child pids (both children
    did work, the parent none); (c) SIGTERM to the parent ends it with status 0 and both
    children within 30 s, leaving no orphan."""
    proc, log = pool
    second = build_mbr_fat32_ext4(tmp_path / "second.img", seed=2)
    images = [planted_disk.image, second.image]
    evidence = [unit.add_image("vlas_inv", path, f"E{i}") for i, path in enumerate(images)]
    children = ready_children(proc, log)
    lab = unit.lab("vlas_inv")
    runs = []
    for item in evidence:
        sub = submit(lab, item, rules=[unit.rules])
        send_tokens(unit, sub.run_id, sub.queued)
        runs.append(sub.run_id)
    states = wait_runs(lab, runs, timeout=120)

    for i, (image, status) in enumerate(zip(images, states, strict=True)):
        assert status["state"] == "done", status
        got = load_report(lab, status["report"])
        want = run_scan(image, tmp_path / f"scan{i}", ScanOptions(rules=[unit.rules]))
        assert (file_set(got), carved_set(got), yara_set(got)) == \
            (file_set(want), carved_set(want), yara_set(want))

    events = [e for item in evidence for e in processed_events(lab, item)]
    assert len(events) == sum(len(s["stages"]) for s in states)
    assert {e["details"]["worker_pid"] for e in events} == children
    assert {e["details"]["worker_host"] for e in events} == {os.uname().nodename}

    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, log.read_text()
    wait_until(lambda: not any(alive(pid) for pid in children), 30 - (time.monotonic() - started),
               "both children gone after SIGTERM")


@SQLITE_ONLY
def test_parent_killed_takes_its_children_along(
        unit: Unit, pool: tuple[subprocess.Popen[bytes], Path]) -> None:
    """SIGKILL to the parent (it cannot pass anything on): the kernel's parent-death signal
    stops both children within 30 s instead of leaving two orphan workers."""
    proc, log = pool
    children = ready_children(proc, log)
    proc.kill()
    proc.wait(timeout=10)
    wait_until(lambda: not any(alive(pid) for pid in children), 30,
               "both children gone after the parent was killed")


@SQLITE_ONLY
def test_sigterm_during_start_up_is_a_clean_stop(
        unit: Unit, pool: tuple[subprocess.Popen[bytes], Path]) -> None:
    """SIGTERM while the children are still starting (they may die of it before their
    handler exists) is still a requested stop: status 0, no child left."""
    proc, log = pool
    wait_until(lambda: len(children_of(proc.pid)) == 2, 15, "two children started")
    children = children_of(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, log.read_text()
    wait_until(lambda: not any(alive(pid) for pid in children), 10, "both children gone")


def _running(lab: object, run_id: str) -> int:
    return sum(s["state"] == "running" for s in run_status(lab, run_id)["stages"])


@SQLITE_ONLY
def test_a_child_killed_mid_stage_is_restarted_and_the_work_completes(
        unit: Unit, pool: tuple[subprocess.Popen[bytes], Path],
        planted_disk: PlantedManifest) -> None:
    """SIGKILL to one child while both run a stage: the parent stays, says which child died
    and how, starts a new child within a few seconds, and the run completes with every
    stage done exactly once (the killed stage on its second attempt)."""
    proc, log = pool
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    children = ready_children(proc, log)
    sub = submit(lab, evidence, rules=[unit.rules])
    send_tokens(unit, sub.run_id, sub.queued)
    wait_until(lambda: _running(lab, sub.run_id) == 2, 30, "both children running a stage")
    victim = min(children)
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(children_of(proc.pid) - children) == 1, 10, "a new child")
    assert proc.poll() is None
    [new] = children_of(proc.pid) - children
    assert children_of(proc.pid) == children - {victim} | {new}
    text = log.read_text()
    assert f"(pid {victim}) killed by SIGKILL; restarting it in 1 s" in text, text
    assert f"restarted as pid {new}" in text, text

    [status] = wait_runs(lab, [sub.run_id], timeout=90)
    assert status["state"] == "done", status
    assert max(s["attempts"] for s in status["stages"]) == 2  # the killed child's stage
    events = processed_events(lab, evidence)
    assert len(events) == len(status["stages"])
    assert len({e["reason"] for e in events}) == len(events)
    assert {e["details"]["worker_pid"] for e in events} <= children | {new}
    assert lab.verify_custody(unit.cases["vlas_inv"]).ok

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, log.read_text()


#: children that fail for a real reason at once: the acting user is not an operator
NOT_OPERATOR = {"LCCU_USER": "vlas_inv"}


@SQLITE_ONLY
def test_a_crash_loop_is_given_up_with_a_clear_message(
        unit: Unit, start_pool: Callable[..., tuple[subprocess.Popen[bytes], Path]]) -> None:
    """Children that cannot start (LCCU_USER is no operator) are restarted up to
    --max-restarts times, then given up; with none left the parent exits with their status
    (2) and says why, instead of restarting forever."""
    proc, log = start_pool("--max-restarts", "1", "--restart-delay", "0.2", **NOT_OPERATOR)
    code = proc.wait(timeout=60)
    text = log.read_text()
    assert code == 2, text
    assert text.count("workers act as an operator") == 4, text
    assert text.count("exited with status 2; restarting it in 0.2 s") == 2, text
    assert text.count("not restarting it") == 2, text
    assert "1 of 2 children left" in text and "0 of 2 children left" in text, text
    assert text.rstrip().endswith(
        "lccu worker: every child crashed repeatedly and was given up; exiting with status 2 "
        "(the messages above say how they died)"), text
    assert not in_session(proc.pid)


@SQLITE_ONLY
def test_sigterm_during_a_restart_delay_is_a_clean_stop(
        unit: Unit, start_pool: Callable[..., tuple[subprocess.Popen[bytes], Path]]) -> None:
    """SIGTERM while both children wait to be restarted: status 0 at once, nothing restarted."""
    proc, log = start_pool("--restart-delay", "30", **NOT_OPERATOR)
    wait_until(lambda: log.read_text().count("restarting it in 30 s") == 2
               or proc.poll() is not None, 30, "both children waiting to be restarted")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0, log.read_text()
    assert time.monotonic() - started < 5
    assert "restarted as pid" not in log.read_text()
    assert not in_session(proc.pid)


# -- lccu status --watch ---------------------------------------------------------------------


class _Lines(threading.Thread):
    """Collects a process's stdout lines as they come."""

    def __init__(self, proc: subprocess.Popen[str], *, stderr: bool = False) -> None:
        super().__init__(daemon=True)
        self.proc = proc
        self.stream = proc.stderr if stderr else proc.stdout
        self.lines: list[str] = []
        self.start()

    def run(self) -> None:
        assert self.stream is not None
        for line in self.stream:
            self.lines.append(line)

    def headers(self, run_id: str) -> list[str]:
        return [line for line in self.lines if line.startswith(f"run {run_id}")]


def _default_sigint() -> None:
    """In the child before exec: SIGINT as a user's terminal delivers it. An ignored SIGINT
    survives exec, and Python then installs no KeyboardInterrupt handler; the full suite's
    process can carry one (the watch then never saw Ctrl-C: passes alone, hung in the suite)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _watch(unit: Unit, evidence: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lccu.cli.main", "status", evidence, "--watch"],
        env={**os.environ, **unit.env, "LCCU_USER": "vlas_inv"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)


def _reads(unit: Unit) -> dict[str, int]:
    """vlas_inv's audited reads of the item and its runs, by operation."""
    from lccu.evidence.models import AuditEntry

    with unit.lab("op").db.session() as session:
        rows = session.execute(select(AuditEntry.operation, func.count()).where(
            AuditEntry.username == "vlas_inv",
            AuditEntry.operation.in_(("evidence.read", "run.list", "run.read")))
            .group_by(AuditEntry.operation))
        return {operation: int(count) for operation, count in rows}


@SQLITE_ONLY
def test_status_watch_refreshes_and_ends_with_the_run(unit: Unit, workers,
                                                      planted_disk: PlantedManifest) -> None:
    """`lccu status E --watch` through a pipe: shows the queued run at once, refreshes
    while a worker runs it, exits 0 by itself once the run is done (last refresh: done),
    and is audited once for the whole watch (not once per refresh)."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    sub = submit(lab, evidence, rules=[unit.rules])
    send_tokens(unit, sub.run_id, sub.queued)
    reads = _reads(unit)
    watch = _watch(unit, evidence)
    out = _Lines(watch)
    wait_until(lambda: out.headers(sub.run_id) or watch.poll() is not None, 30,
               "the first status")
    assert watch.poll() is None and "queued" in out.headers(sub.run_id)[0]
    workers()
    try:
        code = watch.wait(timeout=60)
    finally:
        if watch.poll() is None:
            watch.kill()
    out.join(timeout=5)
    assert code == 0, watch.stderr.read() if watch.stderr else ""
    shown = out.headers(sub.run_id)
    assert len(shown) >= 3, out.lines  # refreshed while the worker ran the stages
    assert shown[-1].rstrip().endswith("done") and "done" not in shown[0]
    after = _reads(unit)
    # the gate decides every refresh but audits the item's runs listed once and the run
    # read once for the whole watch, not once per refresh
    assert {op: after.get(op, 0) - reads.get(op, 0) for op in ("evidence.read", "run.list",
                                                             "run.read")} == \
        {"evidence.read": 0, "run.list": 1, "run.read": 1}


@SQLITE_ONLY
def test_status_watch_ctrl_c_is_a_message_not_a_traceback(unit: Unit,
                                                          planted_disk: PlantedManifest) -> None:
    """SIGINT to `lccu status --watch` on a run no worker takes: exit 130 with one line
    saying that the runs go on, no traceback."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    sub = submit(unit.lab("vlas_inv"), evidence, rules=[unit.rules])
    watch = _watch(unit, evidence)
    out, errors = _Lines(watch), _Lines(watch, stderr=True)  # both pipes drained
    wait_until(lambda: out.headers(sub.run_id) or watch.poll() is not None, 30,
               "the first status")
    time.sleep(0.5)  # also while it sleeps between refreshes, not only while it prints
    watch.send_signal(signal.SIGINT)
    try:
        code = watch.wait(timeout=45)  # generous: a loaded 2-core CI machine
    finally:
        if watch.poll() is None:
            watch.kill()
    errors.join(timeout=5)
    err = "".join(errors.lines)
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.strip() == "lccu status: stopped watching (Ctrl-C); the runs go on without it"
