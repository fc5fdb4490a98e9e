"""Where the rule set shipped with lccu lives: inside the installed package.

The rules are package data (``lccu/rules/``, which in the repository is a symbolic link to
the versioned top-level ``rules/`` folder, so the sdist and the wheel carry real files). They
are found with :mod:`importlib.resources` relative to the ``lccu`` package itself, never by a
path guessed from site-packages, so no other project's ``rules/`` folder can be loaded (and
its identity signed into custody) in their place.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from lccu.errors import RuleError

PACKAGE = "lccu"
FOLDER = "rules"


def bundled_rules_dir() -> Path:
    """The directory holding lccu's own YARA rules; a broken install is an error, not an
    empty rule set."""
    root = files(PACKAGE).joinpath(FOLDER)
    if not isinstance(root, Path):  # a zipped install: yara needs real files
        raise RuleError(f"lccu's bundled rules are not on the file system ({root}); install "
                        "lccu as a wheel into a virtualenv, not as a zip")
    if not root.is_dir() or not any(root.glob("*.yar")):
        raise RuleError(f"lccu's bundled YARA rules are missing from {root}; the install is "
                        "incomplete: reinstall lccu from its wheel")
    return root
