"""Start-up time of the `lccu` command: the median of N starts of light commands.

    python bench/startup.py [--runs 10] [--lccu PATH]

Runs the console script installed beside this interpreter (``<bin>/lccu``, not a pyenv
shim, whose own start-up would be counted) with each light command, ``--runs`` times after
one warm-up start, and prints the median, minimum and maximum wall-clock time and the median
CPU time per command,
next to a bare ``python -c pass`` for the interpreter's own share. For each command it also
lists which heavy libraries the start imported (``-X importtime``), the reason a start is
slow. Output goes to stdout as a Markdown table for ``docs/benchmarks.md``.
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
from pathlib import Path

#: light commands: they need no database, store, engine or web stack
COMMANDS = (
    ("--version",),
    ("--help",),
    ("scan", "--help"),
    ("worker", "--help"),
    ("config", "show"),
)
HEAVY = ("sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "yara", "pytsk3",
         "pyewf", "magic", "dramatiq", "minio", "cryptography", "jinja2", "pydantic")


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


def heavy_imports(lccu: str, command: tuple[str, ...], env: dict[str, str]) -> list[str]:
    """Heavy top-level packages a start of ``command`` imports."""
    proc = subprocess.run([sys.executable, "-X", "importtime", lccu, *command], env=env,
                          capture_output=True, text=True)
    seen = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            seen.add(name.split(".")[0])
    return [name for name in HEAVY if name in seen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--lccu", help="the lccu command to time (default: beside python)")
    args = parser.parse_args()
    lccu = args.lccu or console_script()
    with tempfile.TemporaryDirectory(prefix="lccu-startup-") as home:
        env = {**os.environ, "LCCU_HOME": home}
        rows = [("python -c pass", [sys.executable, "-c", "pass"], ())]
        rows += [(f"lccu {' '.join(c)}", [lccu, *c], c) for c in COMMANDS]
        print(f"lccu: {lccu}; python {sys.version.split()[0]}; median of {args.runs} starts "
              f"after one warm-up; load average {os.getloadavg()[0]:.2f}\n")
        print("| command | median ms | min ms | max ms | median CPU ms | heavy imports |")
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        for label, command, sub in rows:
            timed(command, env)
            runs = [timed(command, env) for _ in range(args.runs)]
            times = [wall * 1000 for wall, _ in runs]
            cpu = statistics.median(c * 1000 for _, c in runs)
            heavy = ", ".join(heavy_imports(lccu, sub, env)) if sub else ""
            print(f"| `{label}` | {statistics.median(times):.0f} | {min(times):.0f} | "
                  f"{max(times):.0f} | {cpu:.0f} | {heavy or '-'} |")


if __name__ == "__main__":
    main()
