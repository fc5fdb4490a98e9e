"""A recorded problem: something unreadable that the engine skipped instead of crashing."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """What could not be read (``where``: volume/path/inode) and why (``message``)."""

    where: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class OutOfTime(Problem):
    """A listing stopped because its time budget ran out: what was listed is partial."""


@dataclass(frozen=True)
class Notice(Problem):
    """Something found but analysed only in part, or not at all, for a known reason (an
    encrypted volume, a partition cut short by the end of the image, a capped file): a
    report warning, not an error."""
