"""Entry point of the `lccu` console command: which module registers which command.

A module is imported only when one of its commands runs (or ``--help`` lists them all):
:class:`lccu.cli.app.LccuGroup`. tests/cli/test_command_modules.py checks this table
against what the modules register.
"""

from __future__ import annotations

from lccu.cli.app import cli

#: top-level command -> the modules that define it and its subcommands
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    name: tuple(f"lccu.cli.{module}" for module in modules)
    for name, modules in {
        "admin": ("cleanup",),
        "audit": ("audit",),
        "case": ("cases", "case_timeline"),
        "config": ("config",),
        "custody": ("custody",),
        "db": ("db",),
        "evidence": ("evidence",),
        "hash": ("scan",),
        "hashset": ("hashset",),
        "key": ("admin",),
        "notable": ("notable",),
        "process": ("process",),
        "report": ("report",),
        "scan": ("scan",),
        "serve": ("serve",),
        "status": ("process",),
        "tag": ("tags",),
        "timeline": ("timeline",),
        "token": ("serve",),
        "unit": ("admin",),
        "user": ("admin", "serve"),
        "worker": ("process",),
        "xzone": ("xzone",),
        "yara": ("scan",),
        "zone": ("admin",),
    }.items()
}
cli.lazy = COMMAND_MODULES


def main() -> None:
    cli(prog_name="lccu")


if __name__ == "__main__":
    main()
