"""The embedded mode: no Redis, the same stage code run in this process, in queue order.

``lccu process`` without ``LCCU_REDIS_URL`` calls :func:`drain`, which handles work tokens
until nothing is runnable: the very :func:`lccu.tasks.runner.handle_token` a worker runs, so
results, custody events and reuse are identical to server mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lccu.tasks.runner import handle_token

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab


def drain(lab: Lab, store: Any, *, on_stage: Callable[[str], None] | None = None,
          limit: int = 100_000) -> int:
    """Run runnable stages (any run, fairest first) until none is left; returns how many."""
    lab.recover_stages()  # stages left running by an interrupted `lccu process`
    done = 0
    while done < limit:
        label = handle_token(lab, store, lambda _n: None)
        if label is None:
            return done
        done += 1
        if on_stage is not None:
            on_stage(label)
    return done
