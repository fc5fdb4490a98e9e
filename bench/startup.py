"""Start-up time of the `lccu` command: the median of N starts of light commands.

    python bench/startup.py [--runs 10] [--lccu PATH]
    python bench/startup.py --database [--database-url URL] [--against DIR] [--runs 10]

Runs the console script installed beside this interpreter (``<bin>/lccu``, not a pyenv
shim, whose own start-up would be counted) with each light command, ``--runs`` times after
one warm-up start, and prints the median, minimum and maximum wall-clock time and the median
CPU time per command,
next to a bare ``python -c pass`` for the interpreter's own share. For each command it also
lists which heavy libraries the start imported (``-X importtime``), the reason a start is
slow. Output goes to stdout as a Markdown table for ``docs/benchmarks.md``.

``--database`` times instead ``--version`` and the commands that open the case database,
started the way the test suite starts them (``python -m lccu.cli.main``, see
lccu.testing.cli): ``case list``,
``evidence add`` of a 64 KiB raw image, ``custody verify`` and ``db status``, on a unit set up
first in a throw-away LCCU_HOME (SQLite there, or a new schema on ``--database-url``'s
PostgreSQL server). Which lccu runs is this interpreter's: set PYTHONPATH to time a checkout;
``--against DIR`` times an older checkout too, start by start in turn with this one (a fair
before/after on a machine whose load changes).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

#: light commands: they need no database, store, engine or web stack
COMMANDS = (
    ("--version",),
    ("--help",),
    ("scan", "--help"),
    ("worker", "--help"),
    ("config", "show"),
)
HEAVY = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "yara",
    "pytsk3",
    "pyewf",
    "magic",
    "dramatiq",
    "minio",
    "cryptography",
    "jinja2",
    "pydantic",
)
#: how the test suite starts lccu (lccu.testing.cli.run_lccu)
MODULE = (sys.executable, "-m", "lccu.cli.main")


def console_script() -> str:
    """The `lccu` script of this interpreter's environment (falls back to PATH)."""
    beside = Path(sys.executable).parent / "lccu"
    found = str(beside) if beside.exists() else shutil.which("lccu")
    if found is None:
        sys.exit("bench/startup.py: no `lccu` command: pip install -e . first")
    return found


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one start; CPU time is what to compare
    on a busy machine, where waiting for a core inflates the wall clock."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode == 2 and b"No such command" in proc.stderr:
        return float("nan"), float("nan")  # an older lccu without this command
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return elapsed, cpu


def heavy_imports(lccu: list[str], command: tuple[str, ...], env: dict[str, str]) -> list[str]:
    """Heavy top-level packages a start of ``command`` imports (``lccu``: the program and
    its arguments before the command, e.g. a console script or ``-m lccu.cli.main``)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *lccu, *command],
        env=env,
        capture_output=True,
        text=True,
    )
    seen = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            seen.add(name.split(".")[0])
    return [name for name in HEAVY if name in seen]


def unit(home: str, env: dict[str, str]) -> tuple[tuple[str, ...], ...]:
    """Set up a unit in ``home`` through the command line (a zone, an admin, an investigator
    with a case holding one 64 KiB raw image) and return the database commands to time."""

    def run(*args: str, user: str | None = None) -> str:
        proc = subprocess.run(
            [*MODULE, *args],
            capture_output=True,
            text=True,
            env={**env, **({"LCCU_USER": user} if user else {})},
        )
        if proc.returncode != 0:
            sys.exit(f"lccu {' '.join(args)} exited {proc.returncode}: {proc.stderr[-500:]}")
        return proc.stdout.strip()

    run("zone", "add", "PZ Vlas")
    run("user", "add", "admin", "--zone", "PZ Vlas", "--role", "admin")
    run("user", "add", "jan", "--zone", "PZ Vlas", "--role", "investigator", user="admin")
    case = run("case", "create", "--title", "Start-up", "--reference", "PV 1", user="jan")
    image = Path(home) / "stick.dd"
    image.write_bytes(os.urandom(64 * 1024))
    run("evidence", "add", case, str(image), "--description", "USB stick", user="jan")
    env["LCCU_USER"] = "jan"
    return (
        ("case", "list"),
        ("evidence", "add", case, str(image), "--description", "again"),
        ("custody", "verify", case),
        ("db", "status"),
    )


def table(
    rows: list[tuple[str, list[str], tuple[str, ...]]],
    lccu: list[str],
    envs: dict[str, dict[str, str]],
    runs: int,
) -> None:
    """One line per command: for each code in ``envs`` (label -> environment, e.g. before
    and after), the median (min-max) wall-clock and the median CPU time of ``runs`` starts,
    the codes taking turns start by start so that a change in the machine's load hits each
    alike; then the heavy libraries each code's start imported."""
    head = " | ".join(f"{k} median (min-max) ms | {k} CPU ms" for k in envs)
    print(f"| command | {head} | heavy imports ({', '.join(envs)}) |")
    print("| --- |" + " ---: | ---: |" * len(envs) + " --- |")
    for label, command, sub in rows:
        samples: dict[str, list[tuple[float, float]]] = {k: [] for k in envs}
        for env in envs.values():
            timed(command, env)  # warm-up
        for i in range(runs):
            for name in list(envs)[:: 1 if i % 2 == 0 else -1]:
                samples[name].append(timed(command, envs[name]))
        cells = []
        for name in envs:
            times = [wall * 1000 for wall, _ in samples[name]]
            cpu = statistics.median(c * 1000 for _, c in samples[name])
            cells.append(
                f"{statistics.median(times):.0f} ({min(times):.0f}-{max(times):.0f}) | {cpu:.0f}"
            )
        heavy = " / ".join(", ".join(heavy_imports(lccu, sub, env)) or "-" for env in envs.values())
        print(f"| `{label}` | {' | '.join(cells)} | {heavy if sub else '-'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--lccu", help="the lccu command to time (default: beside python)")
    parser.add_argument(
        "--database",
        action="store_true",
        help="time the commands that open the case database instead",
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server for --database (a new "
        "schema is made and dropped); default: SQLite in the LCCU_HOME",
    )
    parser.add_argument(
        "--against",
        metavar="DIR",
        help="with --database: also time the lccu of DIR (an older checkout, byte-compiled; "
        "PYTHONPATH=DIR), start by start in turn with this one",
    )
    args = parser.parse_args()
    against = os.path.abspath(args.against) if args.against else None
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="lccu-startup-") as home, ExitStack() as stack:
        os.chdir(home)  # `python -m` puts the working directory first on sys.path
        env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
        env["LCCU_HOME"] = home
        rows = [("python -c pass", [sys.executable, "-c", "pass"], ())]
        envs = {"lccu": env}
        if args.database:
            from lccu.testing.keys import KEY_ENV

            env.update(KEY_ENV)
            if args.database_url:
                from lccu.testing.postgres import temporary_schema

                env["LCCU_DATABASE_URL"] = stack.enter_context(
                    temporary_schema(args.database_url, "lccu_startup")
                )
            lccu = list(MODULE[1:])
            commands = (("--version",), *unit(home, env))
            rows += [(f"lccu {' '.join(c[:2])}", [*MODULE, *c], c) for c in commands]
            if against:
                envs = {"before": {**env, "PYTHONPATH": against}, "after": env}
            where = "PostgreSQL" if args.database_url else "SQLite"
            print(f"lccu: {' '.join(MODULE)} ({where}); ", end="")
        else:
            lccu = [args.lccu or console_script()]
            rows += [(f"lccu {' '.join(c)}", [*lccu, *c], c) for c in COMMANDS]
            print(f"lccu: {lccu[0]}; ", end="")
        print(
            f"python {sys.version.split()[0]}; median of {args.runs} starts after one "
            f"warm-up; load average {load:.2f} at the start\n"
        )
        table(rows, lccu, envs, args.runs)
        print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
