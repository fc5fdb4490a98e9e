"""Processing runs in the test's own process: what `lccu process` does without Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab


def drain_here(lab: Lab) -> int:
    """Run every runnable stage now, in this process, as ``lab``'s user, with the store of
    ``lab``'s settings (opened here and closed again, whatever happens); returns how many
    stages ran."""
    from lccu.storage import open_store
    from lccu.tasks import drain

    store = open_store(lab.settings)
    try:
        return drain(lab, store)
    finally:
        store.close()
