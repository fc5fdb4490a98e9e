"""What a stage result depends on besides the evidence bytes: tool versions and rules.

The cache key of a stage is the SHA-256 of (evidence item, its SHA-256, stage, segment range,
versions, segment size, and the rule set identity and carve mode for the stages they
affect): equal keys mean equal work, so a rerun reuses the result.
"""

from __future__ import annotations

import hashlib
import json
import socket
from functools import cache
from typing import Any

from lccu import __version__


@cache
def tool_versions() -> dict[str, str]:
    """lccu, TSK, libyara, YARA-X and libmagic versions of this worker (recorded in
    custody)."""
    versions = {"lccu": __version__}
    try:
        import pytsk3

        versions["tsk"] = str(pytsk3.TSK_VERSION_STR)
    except ImportError:  # pragma: no cover - pytsk3 is a hard dependency
        versions["tsk"] = "unavailable"
    try:
        import yara

        versions["libyara"] = str(yara.YARA_VERSION)
    except ImportError:  # pragma: no cover
        versions["libyara"] = "unavailable"
    try:
        from lccu.scan.engines import YARA_X, engine_version

        versions["yara-x"] = engine_version(YARA_X)
    except ImportError:  # pragma: no cover
        versions["yara-x"] = "unavailable"
    try:
        import magic

        version = getattr(magic, "version", None)
        versions["libmagic"] = str(version()) if callable(version) else "unknown"
    except (ImportError, OSError):  # pragma: no cover
        versions["libmagic"] = "unavailable"
    return versions


def worker_host() -> str:
    return socket.gethostname()


def canonical(value: Any) -> bytes:
    """Canonical JSON (sorted keys, no spaces): what result digests are taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


#: stages whose result depends on the YARA rules
RULE_DEPENDENT = ("yara", "yara-files")
#: stages whose result depends on the carve mode (yara-files scans the carved files)
CARVE_DEPENDENT = ("carve", "archives", "yara-files", "hashsets", "thumbnails")
#: stages whose result depends on the source time zone (local file-system times)
ZONE_DEPENDENT = ("files", "timeline")
#: stages whose result depends on the archive limits, libraries and case passwords
EXPANSION_DEPENDENT = ("archives", "yara-files", "hashsets", "thumbnails")


def expansion_identity(options: dict[str, Any]) -> dict[str, Any] | None:
    """What an expansion result depends on besides the bytes: limits, library versions and
    a digest of the case password list (a new password may open more), or None when the
    run does not expand."""
    if not options.get("expand"):
        return None
    from lccu.archive import library_versions

    return {"limits": options.get("archive_limits"), "libraries": library_versions(),
            "passwords": options.get("passwords_digest") or digest([])}


def cache_key(evidence_id: str, evidence_sha256: str, stage: str, seg_start: int,
              seg_end: int, options: dict[str, Any]) -> str:
    """Equal keys mean equal work on the same item; the carve mode is part of the key of
    the stages it changes, so a ``--carve unallocated`` result is never reused for ``--carve
    all``. The item is part of the key: a result is reused only by a later run of the item
    it was computed for (its derived files live in that item's folder, and another item,
    maybe of another zone, must not learn that it holds the same bytes)."""
    parts: dict[str, Any] = {
        "item": evidence_id, "evidence": evidence_sha256, "stage": stage,
        "range": [seg_start, seg_end],
        "versions": tool_versions(), "segment_size": options.get("segment_size")}
    if stage in RULE_DEPENDENT:  # a --no-yara run still reuses hash, files and carve
        parts["rules"] = options.get("rules_identity")
    if stage in CARVE_DEPENDENT:
        parts["carve"] = options.get("carve", "all")
    if stage in EXPANSION_DEPENDENT and options.get("expand"):
        parts["expansion"] = expansion_identity(options)
    if stage in ZONE_DEPENDENT:
        parts["timezone"] = options.get("timezone")
    if stage == "hashsets":  # the set versions the run was submitted with
        parts["hashsets"] = options.get("hashsets")
    if stage == "thumbnails":  # a worker with ffmpeg makes what one without it could not
        from lccu.thumbnail import ffmpeg_version

        parts["ffmpeg"] = ffmpeg_version()
    return digest(parts)
