"""What a stage result depends on besides the evidence bytes: tool versions and rules.

The cache key of a stage is the SHA-256 of (evidence SHA-256, stage, segment range,
versions, rule set identity): equal keys mean equal work, so a rerun reuses the result.
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
    """lccu, TSK, libyara and libmagic versions of this worker (recorded in custody)."""
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


def cache_key(evidence_sha256: str, stage: str, seg_start: int, seg_end: int,
              options: dict[str, Any]) -> str:
    return digest({"evidence": evidence_sha256, "stage": stage, "range": [seg_start, seg_end],
                   "versions": tool_versions(), "rules": options.get("rules_identity"),
                   "segment_size": options.get("segment_size")})
