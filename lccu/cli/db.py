"""`lccu db status` and `lccu db upgrade`: the case database's schema against this lccu."""

from __future__ import annotations

import click

from lccu.cli.app import State, cli, pass_state, plain


@cli.group("db")
def db() -> None:
    """The case database's schema (Alembic migrations shipped with lccu)."""


@db.command("status")
@pass_state
def db_status(state: State) -> None:
    """The database's schema revision and the one this lccu needs; exit 1 if they differ."""
    from lccu.evidence.db import make_engine, schema_state

    engine = make_engine(state.settings.database_url)
    try:
        current = schema_state(engine)
    finally:
        engine.dispose()
    word = ("up to date" if current.current == current.head else
            "empty (created on first use)" if current.empty else
            "newer than this lccu" if current.newer else "needs `lccu db upgrade`")
    plain(f"schema {current.current or 'none'}, this lccu needs {current.head}: {word}")
    if current.current != current.head and not current.empty:
        raise click.exceptions.Exit(1)


@db.command("upgrade")
@pass_state
def db_upgrade(state: State) -> None:
    """Migrate the case database to this lccu's schema (back it up first; stop the workers
    and the web server; every server must then run this lccu version)."""
    from lccu.evidence.db import make_engine, upgrade

    engine = make_engine(state.settings.database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    shown = engine.url.render_as_string(hide_password=True)
    if before == after:
        plain(f"case database {shown}: schema {after}, already up to date")
    else:
        plain(f"case database {shown}: schema {before or 'none'} -> {after}")
