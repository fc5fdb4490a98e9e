"""`lccu config show`: the effective settings, where each came from, secrets masked."""

from __future__ import annotations

import click

from lccu.cli.app import cli, emit_json, plain


@cli.group("config")
def config() -> None:
    """lccu's settings (LCCU_* variables and the [lccu] table of lccu.toml)."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True)
def config_show(as_json: bool) -> None:
    """Every setting's effective value and where it came from (environment, file or default);
    secret keys and URL passwords are masked. An unknown or bad setting stops this command,
    like every other, with exit 2 and its name."""
    from lccu.config import NAMES, effective, env_name, resolve

    settings, sources = resolve()
    values = effective(settings)
    rows = [(env_name(f), values[env_name(f)], sources[f].detail or sources[f].kind)
            for f in NAMES]
    if as_json:
        emit_json({name: {"value": value, "from": origin} for name, value, origin in rows})
        return
    width = max(len(name) + len(value) for name, value, _ in rows) + 1
    for name, value, origin in rows:
        plain(f"{name}={value}".ljust(width) + f"  # {origin}")
