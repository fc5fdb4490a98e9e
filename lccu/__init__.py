"""lccu: case management, chain of custody and processing workers for a Local Computer Crime Unit.

Analysts start with :func:`lccu.open_lab`, which returns a :class:`~lccu.evidence.Lab`
acting as one user: every call is access-checked and written to the audit log.
Everything here is imported on first use, so that ``import lccu.errors`` and ``lccu
--version`` stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lccu.evidence import open_lab, verify_export

    __version__: str

__all__ = ["__version__", "open_lab", "verify_export"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lccu")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> object:
    """The version and the library core, resolved lazily."""
    if name == "__version__":
        return _version()
    if name in ("open_lab", "verify_export"):
        from lccu import evidence

        return getattr(evidence, name)
    raise AttributeError(f"module 'lccu' has no attribute {name!r}")
