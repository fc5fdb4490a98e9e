"""Locate the shared test corpus (third-party images with published answers).

The corpus lives outside the repository (it is large and carries its own licences), at
``$LCCU_CORPUS`` or, by default, ``<repository root>/../shared/corpus``. Tests read the
images in place and never write to them.
"""

from __future__ import annotations

import os
from pathlib import Path

from lccu.errors import ConfigError

ENV_VAR = "LCCU_CORPUS"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    """The corpus root: ``$LCCU_CORPUS`` if set, else ``<repo root>/../shared/corpus``."""
    value = os.environ.get(ENV_VAR)
    if value:
        return Path(value).expanduser().resolve()
    return (_REPO_ROOT.parent / "shared" / "corpus").resolve()


def corpus_file(*parts: str) -> Path:
    """Path of one corpus file (``corpus_file("pytsk", "image.raw")``); fails if it is absent."""
    root = corpus_dir()
    path = root.joinpath(*parts)
    if not path.exists():
        raise ConfigError(
            f"corpus file {'/'.join(parts)!r} not found under {root}; set {ENV_VAR} to the "
            "directory holding the shared corpus (see ../shared/README.md)"
        )
    return path
