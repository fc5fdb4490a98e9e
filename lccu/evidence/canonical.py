"""Canonical JSON and UTC timestamps: the exact bytes a custody hash covers.

A hash chain is only as good as the determinism of what it hashes. Every hashed record is
encoded with sorted keys, no insignificant white space, UTF-8 and no NaN/Infinity, and every
time is an RFC 3339 string in UTC with microseconds, so the same event gives the same bytes
on SQLite, PostgreSQL, in an export file and in a verifier written in another language.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 encoding of ``value`` (RFC 8785-like for the types we use)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds, e.g. ``2026-11-23T10:36:10.123456+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not accepted: give a timezone")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 time that carries an offset; naive input is refused."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return moment
