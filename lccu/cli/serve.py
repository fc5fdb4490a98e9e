"""`lccu serve` (the web interface and REST API), `lccu user password` and `lccu token`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from lccu.cli.admin import user
from lccu.cli.app import State, cli, pass_state, plain
from lccu.textsafe import visible

if TYPE_CHECKING:
    from lccu.config import Settings  # the settings model costs 0.1 s to import

BODY_HIGH_WATER = 1024 * 1024  # request body uvicorn may buffer before it pauses reading


def larger_body_reads() -> None:
    """Let uvicorn buffer up to 1 MiB of a request body (its default is 64 KiB) before it
    pauses the socket: an upload chunk then reaches the handler in about a quarter of the
    event-loop round trips. Measured on a 537 MB upload into S3: ~0.2 CPU-seconds less in
    ``lccu serve`` (docs/benchmarks.md). The bound stays per connection. uvicorn keeps the
    limit as a module constant; if a later release drops it, this does nothing."""
    from uvicorn.protocols.http import httptools_impl

    if hasattr(httptools_impl, "HIGH_WATER_LIMIT"):
        httptools_impl.HIGH_WATER_LIMIT = BODY_HIGH_WATER


def clean_up_leftovers(settings: Settings) -> None:
    """What intakes of a killed server left (older than the grace period, no live lease)
    is removed before requests are taken; a store that cannot be reached now is said and
    the server starts anyway (the next start, or `lccu admin cleanup-uploads`, retries)."""
    from lccu.cli.cleanup import say
    from lccu.errors import LccuError
    from lccu.evidence.upload_cleanup import clean_up_at_start

    try:
        report = clean_up_at_start(settings)
    except Exception as exc:  # the server still serves; said, and retried at the next start
        what = str(exc) if isinstance(exc, LccuError) else f"{type(exc).__name__}: {exc}"
        plain(f"lccu serve: cleanup of unfinished uploads failed ({what}); starting anyway")
        return
    say(report, "lccu serve: cleanup of unfinished uploads: ")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; secure cookies are on unless it is loopback.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Serve the web interface and the API (/api/v1, schema at /api/v1/openapi.json)."""
    import uvicorn

    from lccu.config import load_settings
    from lccu.web.app import create_app
    from lccu.web.config import load_web_config

    settings = load_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    app = create_app(settings, load_web_config(settings, host=host))  # migrates the database
    clean_up_leftovers(settings)
    larger_body_reads()
    uvicorn.run(app, host=host, port=port, proxy_headers=False, server_header=False)


@user.command("password")
@click.argument("username")
@click.password_option("--password", prompt="New password",
                       confirmation_prompt="Repeat the password", hide_input=True)
@pass_state
def user_password(state: State, username: str, password: str) -> None:
    """Set a user's web password (yourself; as the unit admin anyone's, as an operator your
    own zone's users'); ends their sessions."""
    from lccu.web.auth import set_password

    lab = state.lab()
    set_password(lab.db, lab.actor, username, password)
    plain(f"password of {username} set")


@cli.group("token")
def token() -> None:
    """Your API tokens for the REST API (created on the web page or with POST /api/v1/tokens)."""


@token.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def token_list(state: State, as_json: bool) -> None:
    """List your tokens: id, state (active, expired, revoked), expiry, last use, name."""
    from lccu.cli.app import emit_json
    from lccu.web.auth import Tokens

    lab = state.lab()
    tokens = Tokens(lab.db).list(lab.actor)
    if as_json:
        emit_json(tokens)
        return
    if not tokens:
        plain("no API tokens")
    for t in tokens:
        why = f" ({t['revoked_why']})" if t["revoked_why"] else ""
        plain(f"{t['id']}  {t['state']}{why}  expires {t['expires_at'] or '-'}  "
              f"last used {t['last_used_at'] or 'never'}  {visible(t['name'])}")


@token.command("revoke")
@click.argument("token_id")
@pass_state
def token_revoke(state: State, token_id: str) -> None:
    """Revoke one of your tokens at once (scripts using it get 401)."""
    from lccu.web.auth import Tokens

    lab = state.lab()
    Tokens(lab.db).revoke(lab.actor, token_id)
    plain(f"token {visible(token_id)} revoked")
