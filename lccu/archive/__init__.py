"""Archive and document expansion engine: container files in, typed member records out.

Detection by content (:func:`container_format` on libmagic's MIME type), expansion with
well-kept libraries (libarchive, py7zr, pikepdf), limits against hostile archives
(:class:`ExpansionLimits`). The engine writes members under an output folder it is given
and knows nothing of the database, the queue or the evidence store. Heavy imports happen
when :func:`expand` runs, not on ``import lccu.archive``.
"""

from __future__ import annotations

from typing import Any

from lccu.archive.detect import container_format
from lccu.archive.limits import ExpansionLimits, expansion_limits
from lccu.archive.records import FINDINGS, Container, Entry, Expansion, Member

__all__ = ["FINDINGS", "Container", "Entry", "Expansion", "ExpansionLimits", "Member",
           "container_format", "expand", "expansion_limits", "library_versions"]


def expand(*args: Any, **kwargs: Any) -> Expansion:
    """See :func:`lccu.archive.engine.expand`."""
    from lccu.archive.engine import expand as run

    return run(*args, **kwargs)


def library_versions() -> dict[str, str]:
    """Versions of the libraries expansion uses (recorded in custody and the report)."""
    from lccu.archive.versions import library_versions as versions

    return versions()
