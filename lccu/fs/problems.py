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
