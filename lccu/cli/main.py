"""Entry point of the `lccu` console command: registers every command module."""

from __future__ import annotations

from lccu.cli import (  # noqa: F401  (each module registers its commands)
    admin,
    audit,
    case_timeline,
    cases,
    cleanup,
    config,
    custody,
    db,
    evidence,
    hashset,
    notable,
    process,
    report,
    scan,
    serve,
    tags,
    timeline,
    xzone,
)
from lccu.cli.app import cli


def main() -> None:
    cli(prog_name="lccu")


if __name__ == "__main__":
    main()
