"""`lccu process`, `lccu status` and `lccu worker`: processing runs (`lccu report` writes
their reports).

With ``LCCU_REDIS_URL`` set, ``process`` queues work tokens for the workers (``lccu
worker`` on the unit's servers); without it the same stages run in this process.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lccu.cli.app import State, cli, emit_json, pass_state, plain
from lccu.textsafe import visible

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab


def _log_visibly() -> None:
    """Log warnings and errors (Dramatiq's too) to stderr as Python's default does, with
    control characters shown: exception messages may carry evidence file names."""
    import logging

    class Visible(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return visible(super().format(record), keep_newlines=True)

    handler = logging.StreamHandler()
    handler.setFormatter(Visible("%(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])


def _show(status: dict[str, Any]) -> None:
    from lccu.report.summary import finding_lines

    plain(
        f"run {status['run']}  evidence {status['evidence']}  zone {visible(status['zone'])}  "
        f"{status['priority']}  {status.get('outcome') or status['state']}"
        + (f"  ({visible(status['reason'])})" if status["reason"] else "")
    )
    for line in finding_lines(status.get("findings") or {}):
        plain(f"  {visible(line)}")
    found = status.get("hashsets")
    if found:  # as soon as the hashsets stage is done, before the report
        sets = ", ".join(
            f"{visible(x['name'])} v{x['version']} ({x['kind']})" for x in found["sets"]
        )
        word = "NOTABLE" if found["notable"] else "notable"
        plain(f"  hash sets {sets}: {word} {found['notable']} file(s), known {found['known']}")
    for s in status["stages"]:
        done, total = s["progress"]
        progress = f"{done}/{total}" if total else (str(done) if done else "")
        name = s["stage"] + (f"#{s['segment']}" if s["stage"] in ("carve", "yara") else "")
        extra = " (reused)" if s["reused"] else ""
        reason = f"  {visible(s['reason'])}" if s["state"] == "failed" and s["reason"] else ""
        plain(f"  {name:<14} {s['state']:<8} {progress:<20} {s['worker'] or ''}{extra}{reason}")


def _wait(lab: Lab, run_id: str, interval: float = 1.0) -> dict[str, Any]:
    from lccu.tasks import run_status

    while True:
        status = run_status(lab, run_id)
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(interval)


@cli.command("process")
@click.argument("evidence")
@click.option(
    "--priority",
    type=click.Choice(["urgent", "normal"]),
    default="normal",
    show_default=True,
    help="urgent items are served before normal ones.",
)
@click.option("--wait", is_flag=True, help="With workers: wait until the run has finished.")
@click.option("--no-yara", is_flag=True, help="Skip YARA (over the image and over files).")
@click.option(
    "--carve",
    type=click.Choice(["all", "unallocated", "none"]),
    default="all",
    show_default=True,
    help="Carve the whole image, only unallocated space, or not.",
)
@click.option(
    "--timezone",
    "timezone",
    default=None,
    metavar="ZONE",
    help="Source machine's IANA time zone for this run (default: the item's, see "
    "`lccu evidence timezone`).",
)
@click.option(
    "--no-expand",
    is_flag=True,
    help="Do not open archives and documents (zip, 7z, RAR, tar, PDF, ...).",
)
@click.option(
    "--passwords",
    "password_file",
    type=click.Path(path_type=Path),
    help="The case's password list for encrypted archives, one per line; kept in "
    "the run's options only, never in a report or custody.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run's status as JSON.")
@pass_state
def process(
    state: State,
    evidence: str,
    priority: str,
    wait: bool,
    no_yara: bool,
    carve: str,
    timezone: str | None,
    no_expand: bool,
    password_file: Path | None,
    as_json: bool,
) -> None:
    """Process EVIDENCE: hash, file systems, carving, archives, YARA, report (on workers or
    here)."""
    from lccu.archive.passwords import read_password_list
    from lccu.tasks import drain, run_status, submit

    passwords = read_password_list(password_file) if password_file else ()
    lab = state.lab()
    submitted = submit(
        lab,
        evidence,
        priority=priority,
        yara=not no_yara,
        carve=carve,
        timezone=timezone,
        expand=not no_expand,
        passwords=passwords,
    )
    if lab.settings.redis_url:
        from lccu.tasks.broker import declare, make_broker

        broker = make_broker(lab.settings)
        actor = declare(broker)
        for _ in range(submitted.queued):
            actor.send(submitted.run_id)
        broker.close()
        status = _wait(lab, submitted.run_id) if wait else run_status(lab, submitted.run_id)
    else:
        from lccu.storage import open_store

        store = open_store(lab.settings)
        try:
            drain(lab, store, on_stage=lambda label: click.echo(f"process: {label} done", err=True))
        finally:
            store.close()
        status = run_status(lab, submitted.run_id)
    if as_json:
        emit_json(status)
    else:
        _show(status)
    if status["state"] == "failed":
        raise click.exceptions.Exit(1)


def _show_workers(view: dict[str, Any]) -> None:
    for w in view["workers"]:
        word = "alive" if w["alive"] else f"LOST (no heartbeat for {view['alive_seconds']} s)"
        plain(
            f"worker {w['id']}  {word}  last heartbeat {w['heartbeat_at'][:19]}Z  "
            f"{w['threads']} thread(s)  lccu {w['version']}"
            + (f"  metrics {w['metrics_url']}" if w["metrics_url"] else "")
        )
        for s in w["running"]:
            name = s["stage"] + (f"#{s['segment']}" if s["stage"] in ("carve", "yara") else "")
            plain(
                f"  running {name:<12} zone {s['zone']}  evidence {s['evidence']}  "
                f"since {(s['started_at'] or '')[:19]}Z"
            )
    if not view["workers"]:
        plain("no workers registered")
    plain("queue (stages): zone, priority: running / queued / waiting")
    for q in view["queue"]:
        plain(f"  {q['zone']}, {q['priority']}: {q['running']} / {q['queued']} / {q['waiting']}")
    if not view["queue"]:
        plain("  empty")


@cli.command("status")
@click.argument("evidence", required=False)
@click.option("--watch", is_flag=True, help="Refresh every 2 seconds until every run ends.")
@click.option(
    "--workers",
    "workers",
    is_flag=True,
    help="Operators: the workers alive, what each runs, and the queue per zone.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def status(state: State, evidence: str | None, watch: bool, workers: bool, as_json: bool) -> None:
    """Progress of each stage of the processing runs of EVIDENCE (default: your zone's)."""
    from lccu.tasks import run_status, runs_of

    lab = state.lab()
    if workers:
        from lccu.tasks.health import overview

        lab.check_unit_view("workers.read")  # operators only, decided and audited
        view = overview(lab)
        if as_json:
            emit_json(view)
        else:
            _show_workers(view)
        return
    # EVIDENCE is resolved (access-checked and audited) once, not at every refresh
    run_ids = runs_of(lab, evidence)
    try:
        while True:
            runs = [run_status(lab, r) for r in run_ids]
            if as_json:
                emit_json(runs)
            else:
                for run in runs:
                    _show(run)
                if not runs:
                    plain("no processing runs")
            if not watch or all(r["state"] in ("done", "failed") for r in runs):
                return
            time.sleep(2)
            click.clear()
            if evidence is None:  # your zone's runs: new ones appear
                run_ids = runs_of(lab, None)
    except KeyboardInterrupt:
        if not watch:
            raise
        click.echo("lccu status: stopped watching (Ctrl-C); the runs go on without it", err=True)
        raise click.exceptions.Exit(130) from None


def write_run_report(
    lab: Lab,
    evidence: str,
    run_id: str | None,
    fmt: str,
    output: Path,
    *,
    files: bool = True,
    recipient: str | None = None,
) -> str:
    """Write the report of a finished processing run of ``evidence`` to ``output`` (an HTML
    page with the exported files it links copied beside it, unless ``files`` is False);
    returns the run id. Audited as ``report.export``
    (:meth:`lccu.evidence.lab.Lab.export_run_report`)."""
    return lab.export_run_report(
        evidence, output, run_id=run_id, fmt=fmt, files=files, recipient=recipient
    ).run


@cli.command("worker")
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default: LCCU_WORKER_PROCESSES, 1).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help="Threads per process (default: LCCU_WORKER_THREADS, 1).",
)
@click.option(
    "--queues",
    multiple=True,
    default=("lccu",),
    show_default=True,
    help="Dramatiq queues to consume (repeatable).",
)
@click.option(
    "--max-restarts",
    type=click.IntRange(0, 1000),
    default=None,
    help="With --processes > 1: restarts of a crashing child before it is given up "
    "(default: LCCU_WORKER_MAX_RESTARTS, 5).",
)
@click.option(
    "--restart-window",
    type=click.FloatRange(0, min_open=True),
    default=None,
    help="Seconds: crashes closer together than this form a crash loop "
    "(default: LCCU_WORKER_RESTART_WINDOW, 60).",
)
@click.option(
    "--restart-delay",
    type=click.FloatRange(0, min_open=True),
    default=None,
    help="Seconds before a crashed child is restarted, doubled per crash of a loop "
    "up to 30 (default: LCCU_WORKER_RESTART_DELAY, 1).",
)
@pass_state
def worker(
    state: State,
    processes: int | None,
    threads: int | None,
    queues: tuple[str, ...],
    max_restarts: int | None,
    restart_window: float | None,
    restart_delay: float | None,
) -> None:
    """Take processing work from Redis (needs LCCU_REDIS_URL, LCCU_USER = an operator).

    With --processes > 1 this process supervises the children: a crashed child is restarted
    (see --max-restarts), SIGTERM or Ctrl-C stops them all."""
    import dataclasses

    from lccu.tasks.worker import run_processes, run_worker

    settings = state.settings
    if state.user is not None:  # --as: this process and every lab it opens; the children
        settings = dataclasses.replace(settings, user=state.user)  # get --as (run_processes)
    processes = settings.worker_processes if processes is None else processes
    threads = settings.worker_threads if threads is None else threads
    max_restarts = settings.worker_max_restarts if max_restarts is None else max_restarts
    restart_window = settings.worker_restart_window if restart_window is None else restart_window
    restart_delay = settings.worker_restart_delay if restart_delay is None else restart_delay
    _log_visibly()
    if processes > 1:
        raise click.exceptions.Exit(
            run_processes(
                processes,
                threads,
                queues,
                max_restarts=max_restarts,
                restart_window=restart_window,
                restart_delay=restart_delay,
                settings=settings,
                log=lambda line: click.echo(visible(line), err=True),
            )
        )
    run_worker(
        settings,
        threads=threads,
        queues=queues,
        log=lambda line: click.echo(visible(line), err=True),
    )
