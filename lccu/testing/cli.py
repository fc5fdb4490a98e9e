"""Running the ``lccu`` command line from tests, as a user runs it: a child process of this
interpreter (``python -m lccu.cli.main``), its output captured as text."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from lccu.testing.keys import KEY_ENV


def lccu_env(
    home: Path | str | None = None, *, user: str | None = None, keys: bool = True, **variables: str
) -> dict[str, str]:
    """This process's environment without any ``LCCU_*`` variable (the developer's own
    settings must not reach the command), then ``LCCU_HOME=home``, the test signing keys
    (:data:`~lccu.testing.keys.KEY_ENV`, unless ``keys`` is false), ``LCCU_USER=user`` and
    ``variables``, each only when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    if home is not None:
        env["LCCU_HOME"] = str(home)
    if keys:
        env.update(KEY_ENV)
    if user is not None:
        env["LCCU_USER"] = user
    env.update(variables)
    return env


def run_lccu(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``lccu ARGS`` in a child process with ``env`` (None: this process's environment as
    it is), in ``cwd``; killed after ``timeout`` seconds (a hung command fails the test)."""
    return subprocess.run(
        [sys.executable, "-m", "lccu.cli.main", *args],
        env=None if env is None else dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
