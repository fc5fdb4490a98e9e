"""The ``archives`` stage on a worker: open every archive and document the files and carve
stages exported, exactly as ``lccu scan`` does (:mod:`lccu.pipeline.archives`).

Only the candidate containers are fetched from the derived store into a temporary folder
(files whose MIME type is a container; carved items of a type that can be one), at the
same relative paths, so members get the same ``<exported>.members/`` names; members are
uploaded under this stage's folder. The limits and the case password list come from the
run's options (set when it was submitted), so every worker expands alike; the passwords
are opened from their sealed object (:mod:`lccu.archive.sealed`) and kept in memory only:
the result, the report and the ``processed`` event only say whether a list was supplied.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from lccu.archive import ExpansionLimits, container_format
from lccu.pipeline.archives import expand_containers, expansion_settings
from lccu.pipeline.sink import DirectorySink

#: carved types that can be containers (the carver's names)
CARVED_CONTAINERS = {"zip", "7z", "rar", "pdf"}


def run_limits(options: dict[str, Any]) -> ExpansionLimits:
    """The limits the run was submitted with (older runs: the defaults)."""
    return ExpansionLimits(**options.get("archive_limits", {}))


def _fetch(ctx: Any, sink: DirectorySink, relative: str) -> None:
    with ctx.store.open_derived(f"{ctx.evidence_id}/{relative}") as src, \
            sink.create(relative) as out:
        shutil.copyfileobj(src, out, 4 * 1024 * 1024)


def run_archives(ctx: Any) -> dict[str, Any]:
    limits = run_limits(ctx.options)
    from lccu.archive.sealed import open_passwords

    passwords = open_passwords(ctx.store, ctx.lab.settings, ctx.options)
    files = [r for result in ctx.inputs.get("files", []) for r in result["files"]
             if r.get("exported") and container_format(r.get("mime"))]
    carved = sorted((c for result in ctx.inputs.get("carve", []) for c in result["carved"]
                     if c.get("exported") and c.get("type") in CARVED_CONTAINERS),
                    key=lambda c: c["offset"])
    with tempfile.TemporaryDirectory(prefix="lccu-archives-") as tmp:
        sink = DirectorySink(Path(tmp))
        for relative in dict.fromkeys(r["exported"] for r in [*files, *carved]):
            _fetch(ctx, sink, relative)
        result = expand_containers(files, carved, sink, limits=limits, passwords=passwords,
                                   tick=lambda n: ctx.tick(n, None))
        for member in result.members:
            member["exported"] = ctx.upload(sink, member["exported"])
    return {"members": result.members, "archives": result.archives, "errors": result.errors,
            "expansion": expansion_settings(limits, passwords)}
