"""lccu: case management, chain of custody and processing workers for a Local Computer Crime Unit.

Analysts start with :func:`lccu.open_lab`, which returns a :class:`~lccu.evidence.Lab`
acting as one user: every call is access-checked and written to the audit log.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lccu")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "open_lab", "verify_export"]


def __getattr__(name: str) -> object:
    """Import the library core lazily so ``import lccu.errors`` stays light."""
    if name in ("open_lab", "verify_export"):
        from lccu import evidence

        return getattr(evidence, name)
    raise AttributeError(f"module 'lccu' has no attribute {name!r}")
