"""The command table of lccu/cli/main.py (which module registers which command, imported
only when that command runs) against what the modules register: a command left out of the
table, or a module left out of a command's entry, would vanish from `lccu`."""

from __future__ import annotations

import json
import subprocess
import sys

TREE = """
import importlib, json, os, pkgutil, sys
import click
import lccu.cli
from lccu.cli.main import cli

def tree(command, path=""):
    names = {path}
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            names |= tree(sub, f"{path} {name}".strip())
    return names

ctx = click.Context(cli)
lazily = {}
for name in cli.list_commands(ctx):
    read, write = os.pipe()
    if os.fork() == 0:  # a fresh registry per command: only its own modules imported
        os.close(read)
        command = cli.get_command(ctx, name)
        found = sorted(tree(command, name)) if command is not None else []
        os.write(write, json.dumps(found).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        lazily[name] = json.loads(pipe.read() or "[]")
    os.wait()
for module in pkgutil.iter_modules(lccu.cli.__path__):
    importlib.import_module(f"lccu.cli.{module.name}")
everything = {name: sorted(tree(command, name)) for name, command in cli.commands.items()}
print(json.dumps({"lazily": lazily, "everything": everything}))
"""


def test_each_command_loads_with_all_its_subcommands() -> None:
    """Every command any module registers is in the table, and resolving it by name alone
    gives the same subcommands as importing every module."""
    done = subprocess.run([sys.executable, "-c", TREE], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    seen = json.loads(done.stdout)
    assert seen["lazily"] == seen["everything"]
    assert {"timeline", "scan", "case", "user", "admin"} <= set(seen["everything"])
    assert "case timeline" in seen["everything"]["case"]
    assert "user password" in seen["everything"]["user"]


def test_timeline_loads_no_other_command_module() -> None:
    """`lccu timeline --help` imports lccu.cli.timeline and none of the other command modules."""
    probe = (
        "import sys; from lccu.cli.main import main; sys.argv = ['lccu', 'timeline', "
        "'--help']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json; print(json.dumps(sorted(m for m in sys.modules "
        "if m.startswith('lccu.cli.'))), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert "lccu.cli.timeline" in loaded
    assert not {"lccu.cli.scan", "lccu.cli.cases", "lccu.cli.admin", "lccu.cli.serve"} & set(loaded)
