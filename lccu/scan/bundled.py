"""Where the rule set shipped with lccu lives.

The package is installed editable, so the versioned ``rules/`` folder beside ``lccu/`` is
read in place; a wheel would need ``rules/`` shipped as package data (see rules/README.md).
"""

from __future__ import annotations

from pathlib import Path

import lccu


def bundled_rules_dir() -> Path:
    """The directory holding lccu's own YARA rules (``<repository>/rules``)."""
    return Path(lccu.__file__).resolve().parent.parent / "rules"
