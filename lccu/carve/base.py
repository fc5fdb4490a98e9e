"""What a carvable format declares: its signatures, its size bound and its validator.

A validator gets a :class:`~lccu.carve.source.Cursor` positioned at the candidate file's
first byte and bounded by the format's ``max_size`` (and the image end). It returns
``None`` when the header itself does not parse (no record: random bytes stay silent), or a
:class:`~lccu.carve.record.Verdict` with the exact end. Policy for a header that parses
but whose end cannot be found within the bound (truncated, overwritten, corrupt later on):
emit it unvalidated, with confidence ``"low"``, a ``note`` saying why and ``length`` the
bytes that did parse as structure (never a fixed-size chunk).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Signature:
    """``magic`` found ``at`` bytes after the file's start; ``yara`` is the same as a hex string."""

    magic: bytes
    at: int = 0
    yara: str | None = None

    def hex(self) -> str:
        return self.yara or " ".join(f"{b:02X}" for b in self.magic)

    @property
    def span(self) -> int:
        """Bytes after the file start that must be visible to recognise the signature."""
        return self.at + max(len(self.magic), len(self.hex().split()))


@dataclass(frozen=True)
class Format:
    """A carvable format: ``name`` (what ``types=`` selects), default extension, checks."""

    name: str
    extension: str
    signatures: tuple[Signature, ...]
    max_size: int
    validate: Callable[[Cursor], Verdict | None]
    # True when validation does not check every byte in between (BMP pixels, WAV samples,
    # SQLite pages, MP4 mdat, ZIP/RAR/7z packed data, PDF streams, EVTX chunk bodies): an
    # overwritten interior cannot be told from content, so headers inside are still carved
    # (with a note). Only JPEG (marker and scan walk), PNG (CRCs) and GIF (sub-block chain)
    # vouch for their interior, and headers inside them are skipped as embedded.
    opaque_interior: bool = False


def truncated(length: int, why: str) -> Verdict:
    """The documented verdict for a header that parsed but whose end was not found."""
    return Verdict(length=length, validated=False, confidence="low", note=why)
