"""Read faults: ranges of the media that could not be read as acquired, and why.

A reader that meets a range it cannot read faithfully (an E01 chunk whose checksum fails)
records a :class:`ReadFault` in its :class:`FaultLog` and hands back zeros for it, as
EnCase and ``ewfexport -w`` do. The zeros are never silent: every stage that read the
media reports the log's faults (offset, length, cause), hashes over such media say they
cover unreadable bytes, and the run ends "done with errors".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class ReadFault:
    """``length`` bytes of the media at ``offset`` could not be read: ``cause``."""

    offset: int
    length: int
    cause: str

    def as_dict(self) -> dict[str, Any]:
        return {"offset": self.offset, "length": self.length, "cause": self.cause}


class FaultLog:
    """The faults one reader met, each once, in media order (safe across threads)."""

    def __init__(self) -> None:
        self._faults: set[ReadFault] = set()
        self._lock = threading.Lock()

    def add(self, fault: ReadFault) -> None:
        with self._lock:
            self._faults.add(fault)

    def faults(self) -> list[ReadFault]:
        with self._lock:
            return sorted(self._faults)

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def unreadable_bytes(self) -> int:
        """How many media bytes the faults cover (overlaps counted once)."""
        total, reach = 0, 0
        for fault in self.faults():
            start = max(fault.offset, reach)
            end = fault.offset + fault.length
            if end > start:
                total += end - start
                reach = end
        return total
