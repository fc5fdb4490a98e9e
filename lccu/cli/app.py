"""The root command group, the acting user, and the one place errors become exit codes.

Exit codes: 0 ok; 1 verification failed or access denied; 2 usage or input error (unknown
case or user, malformed file, ...); 3 an unexpected internal error (``LCCU_DEBUG=1`` shows the
traceback).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from lccu.errors import LccuError
from lccu.textsafe import visible

if TYPE_CHECKING:
    from rich.table import Table

    from lccu.config import Settings
    from lccu.evidence.lab import Lab

console = Console(highlight=False, width=None if sys.stdout.isatty() else 220)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class LccuGroup(click.Group):
    """A click group that turns lccu errors into one-line messages and exit codes.

    Its commands live in modules loaded when a command is asked for (:attr:`lazy`: name ->
    the modules that register it), so ``lccu timeline`` does not pay for importing the
    other seventeen command modules and what they import (``docs/timeline.md``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, ...]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        import importlib

        for module in self.lazy.get(cmd_name, ()):
            importlib.import_module(module)  # its decorators register on this group
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LccuError as exc:
            err_console.print(f"lccu: error: {visible(exc)}", markup=False)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            err_console.print("lccu: interrupted", markup=False)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if _debug(ctx):
                raise
            err_console.print(f"lccu: internal error: {type(exc).__name__}: {visible(exc)} "
                              "(set LCCU_DEBUG=1 for the traceback)", markup=False)
            ctx.exit(3)


def _print_version(ctx: click.Context) -> None:
    """``lccu --version``: read from the installed distribution only when asked."""
    import lccu

    click.echo(f"lccu, version {lccu.__version__}")
    ctx.exit()


def _debug(ctx: click.Context) -> bool:
    """``LCCU_DEBUG`` (false when the settings themselves cannot be read)."""
    state = ctx.find_object(State)
    try:
        return bool(state is not None and state.settings.debug)
    except LccuError:
        return False


class State:
    """Per-invocation state: the checked settings, who acts, and the lab opened on first use."""

    def __init__(self, user: str | None) -> None:
        self.user = user
        self._settings: Settings | None = None
        self._lab: Lab | None = None

    @property
    def settings(self) -> Settings:
        """The settings, read and checked on first use: an unknown or bad one is a
        ConfigError naming it (exit 2); ``--help`` never reads them."""
        if self._settings is None:
            from lccu.config import load_settings

            self._settings = load_settings()
        return self._settings

    def lab(self, *, need_user: bool = True) -> Lab:
        from lccu.evidence.lab import open_lab, require_user

        if self._lab is None:
            self._lab = open_lab(self.user, self.settings,
                                 prompt=ask_passphrase if sys.stdin.isatty() else None)
        if need_user:
            require_user(self._lab)
        return self._lab

    def close(self) -> None:
        if self._lab is not None:
            self._lab.close()


pass_state = click.make_pass_decorator(State)


@click.group(cls=LccuGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--as", "user", envvar="LCCU_USER", metavar="USER",
              help="Act as this user (default: $LCCU_USER).")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _param, value: _print_version(ctx) if value else None,
              help="Show the version and exit.")
@click.pass_context
def cli(ctx: click.Context, user: str | None) -> None:
    """lccu: evidence, chain of custody and processing for a Local Computer Crime Unit.

    Settings come from LCCU_* variables and lccu.toml (`lccu config show`); an unknown or bad
    one stops a command with exit 2 and its name."""
    state = State(user)
    ctx.obj = state
    ctx.call_on_close(state.close)


def new_table(*headers: str) -> Table:
    """A rich table with these column headers (rich.table is imported when one is shown)."""
    from rich.table import Table

    return Table(*headers)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def plain(text: str) -> None:
    """Print without markup or wrapping (hashes must stay on one line for scripts), every
    control character but the message's own line breaks shown as ``⟨U+XXXX⟩`` (evidence
    names are attacker-controlled); a value that must stay on its line goes through
    :func:`~lccu.textsafe.visible` first."""
    click.echo(visible(text, keep_newlines=True))


def cells(*values: Any) -> list[Any]:
    """Table cells for rich: through :func:`~lccu.textsafe.visible`, and as Text so that
    ``[...]`` in a title is never read as markup."""
    from rich.text import Text

    return [Text(visible(value)) for value in values]


def progress_bar(total: int | None, label: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A rich progress bar on a terminal; one line per 10% otherwise. ``label`` may name an
    evidence file: it is shown through :func:`~lccu.textsafe.visible`, never as markup."""
    label = visible(label)
    if sys.stderr.isatty():
        from rich.markup import escape
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        bar = Progress("[progress.description]{task.description}", BarColumn(),
                       DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                       console=err_console, transient=False)
        task = bar.add_task(escape(label), total=total)
        bar.start()
        return (lambda n: bar.advance(task, n)), bar.stop
    done = [0, 0]

    def advance(n: int) -> None:
        done[0] += n
        if total:
            tenth = done[0] * 10 // total
            if tenth > done[1]:
                done[1] = tenth
                click.echo(f"{label}: {tenth * 10}% ({done[0]} of {total} bytes)", err=True)

    return advance, lambda: None


def ask_passphrase(question: str, confirm: bool) -> str | None:
    """Ask a signing key's passphrase in the terminal, hidden (twice for a new one)."""
    answer = click.prompt(question.capitalize(), hide_input=True,
                          confirmation_prompt=confirm, default="", show_default=False,
                          err=True)
    return str(answer) or None
