"""Shell blocks of the documentation and how the docs test runs them (docs/doc-commands.md).

A fenced block with no language or ``sh``/``bash``/``shell``/``console`` is a shell block;
an indented block is not (write commands as fenced blocks). HTML comments on the lines
right above a block's fence tell the test how to run it:

- ``<!-- ci:test -->``: the test command; CI runs it itself.
- ``<!-- doc-test: skip REASON -->``: not run here (another machine, root install paths).
- ``<!-- doc-test: replace "TEXT" "SHELL" -->``: TEXT (a placeholder) becomes SHELL first.
- ``<!-- doc-test: input "TEXT" -->``: TEXT (``\\n`` escapes) is every command's stdin.
- ``<!-- doc-test: setup "SHELL" -->``: SHELL runs first (what the text before the block
  assumes, e.g. an operator account).
- ``<!-- doc-test: long-running "READY" -->``: the block's last command is a server: it is
  started in the background, must print READY within a minute, and is then stopped.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

SHELL_LANGS = {"", "sh", "bash", "shell", "console"}
FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!--\s*(.*?)\s*-->\s*$")
QUOTED = r'"((?:[^"\\]|\\.)*)"'


@dataclass
class Command:
    """One logical command line (continuations joined) and where it is written."""

    line: int
    text: str


@dataclass
class Block:
    path: Path
    line: int  # of the opening fence
    commands: list[Command]
    skip: str | None = None
    replace: list[tuple[str, str]] = field(default_factory=list)
    stdin: str | None = None
    ready: str | None = None
    setup: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


class MarkerError(ValueError):
    """A doc-test marker the test does not understand (the message names file and line)."""


def _unescape(text: str) -> str:
    return text.encode().decode("unicode_escape")


def _apply(block: Block, marker: str, where: str) -> None:
    if marker == "ci:test":
        block.skip = "the test command: CI runs it"
        return
    if not marker.startswith("doc-test:"):
        return
    body = marker.removeprefix("doc-test:").strip()
    if body.startswith("skip"):
        reason = body.removeprefix("skip").strip()
        if not reason:
            raise MarkerError(f"{where}: doc-test: skip needs a reason")
        block.skip = reason
    elif m := re.fullmatch(rf"replace\s+{QUOTED}\s+{QUOTED}.*", body):
        block.replace.append((_unescape(m.group(1)), _unescape(m.group(2))))
    elif m := re.fullmatch(rf"setup\s+{QUOTED}.*", body):
        block.setup.append(_unescape(m.group(1)))
    elif m := re.fullmatch(rf"input\s+{QUOTED}.*", body):
        block.stdin = _unescape(m.group(1))
    elif m := re.fullmatch(rf"long-running\s+{QUOTED}.*", body):
        block.ready = _unescape(m.group(1))
    else:
        raise MarkerError(f"{where}: unknown doc-test marker {marker!r} (docs/doc-commands.md)")


def _commands(lines: list[str], first: int) -> list[Command]:
    commands: list[Command] = []
    pending: list[str] = []
    start = first
    for number, line in enumerate(lines, first):
        if not pending:
            start = number
        if not line.strip() and not pending:
            continue
        if line.rstrip().endswith("\\"):
            pending.append(line.rstrip()[:-1])
            continue
        pending.append(line)
        commands.append(Command(start, " ".join(p.strip() for p in pending)))
        pending = []
    if pending:
        commands.append(Command(start, " ".join(p.strip() for p in pending)))
    return commands


def shell_blocks(path: Path, shown: Path) -> list[Block]:
    """The shell blocks of one Markdown file, with their markers; ``shown`` is the path used
    in messages (relative to the repository)."""
    lines = path.read_text().splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")),
                   len(lines))
        i = end + 1
        if lang not in SHELL_LANGS:
            continue
        block = Block(shown, start + 1, _commands(lines[start + 1:end], start + 2))
        j = start - 1
        markers = []
        while j >= 0 and (found := MARKER.match(lines[j])):
            markers.append((found.group(1), f"{shown}:{j + 1}"))
            j -= 1
        for marker, where in reversed(markers):
            _apply(block, marker, where)
        blocks.append(block)
    return blocks


def script(blocks: list[Block], trace: str) -> str:
    """One bash script running every block of a file in order, in one shell (variables and
    ``export`` carry over); it writes ``RUN file:line`` before each command and ``FAIL
    file:line status`` on the first failure to the file ``trace``."""
    out = [f"exec 3>>{shlex.quote(trace)}", "set -eE -o pipefail",
           "trap 'printf \"FAIL %s %s\\n\" \"$__where\" \"$?\" >&3; exit 97' ERR"]
    for block in blocks:
        if block.skip:
            continue
        for setup in block.setup:
            out.append(f"__where={shlex.quote(block.where + ' (setup)')}")
            out.append(setup)
        for index, command in enumerate(block.commands):
            text = command.text
            for old, new in block.replace:
                text = text.replace(old, new)
            where = f"{block.path}:{command.line}"
            out.append(f"__where={shlex.quote(where)}")
            out.append(f"printf 'RUN %s\\n' {shlex.quote(where)} >&3")
            if block.stdin is not None:
                text = f"{{ {text}\n}} <<< {shlex.quote(block.stdin.removesuffix(chr(10)))}"
            if block.ready is not None and index == len(block.commands) - 1:
                out.append(_server(text, block.ready, where))
            else:
                out.append(text)
    out.append("printf 'DONE\\n' >&3")
    return "\n".join(out) + "\n"


def _server(text: str, ready: str, where: str) -> str:
    """Start ``text`` in the background, wait for ``ready`` in its output, stop it."""
    log = f'"$__logs/{re.sub(r"[^A-Za-z0-9]", "_", where)}.log"'
    return "\n".join([
        f"( {text}\n) > {log} 2>&1 &",
        "__pid=$!",
        "__ok=",
        "for __i in $(seq 1 600); do",
        f"  if grep -qF -- {shlex.quote(ready)} {log}; then __ok=1; break; fi",
        "  kill -0 $__pid 2>/dev/null || break",
        "  sleep 0.1",
        "done",
        "kill -TERM $__pid 2>/dev/null || true",
        "wait $__pid || true",
        f'if [ -z "$__ok" ]; then printf "FAIL %s never printed %s; output: %s\\n" '
        f'{shlex.quote(where)} {shlex.quote(repr(ready))} "$(tail -c 1500 {log} | tr "\\n" " ")"'
        " >&3; exit 97; fi",
    ])
