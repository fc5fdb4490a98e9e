"""Entry point of the `lccu` console command: registers every command module."""

from __future__ import annotations

from lccu.cli import admin, audit, cases, custody, evidence, report, scan  # noqa: F401
from lccu.cli import process  # noqa: F401  (processing runs and workers)
from lccu.cli.app import cli


def main() -> None:
    cli(prog_name="lccu")


if __name__ == "__main__":
    main()
