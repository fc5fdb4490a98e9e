"""The unit's key registry: which public key was each user's, from when until when.

A signature in the custody log proves only that someone held *a* private key; what makes it
a user's signature is the unit vouching that the key was that user's at that moment. The
registry is that voucher: a hash-chained list of entries, each signed with the **unit key**
(an Ed25519 key held by the unit's operators, its public half noted once in the unit's
procedures and printed by ``lccu unit key``):

- ``certified``: ``public_key`` is ``username``'s key from ``valid_from`` on; a user's
  earlier key ends there (a rotation: events signed before it stay valid);
- ``revoked``: the key ``key_id`` of ``username`` is no longer valid from ``recorded_at``.

Whoever rewrites the database or an export file can add a user and a key line, but not a
registry entry the unit key signed: :func:`verify_registry` checks the chain and each
signature against the unit's public key given by the verifier, and :class:`KeyRing` then
accepts a signature only from a key certified for its signer at the signing time and not
revoked or replaced before it. This module is pure (no database): the same code checks the
database and an export file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lccu.evidence.canonical import GENESIS_HASH, canonical_json, parse_time, sha256_hex
from lccu.evidence.keys import key_id_of, verify_signature

REGISTRY_ACTIONS = ("certified", "revoked")
#: the fields an entry's hash covers (its hash and the unit's signature are beside them)
REGISTRY_FIELDS = (
    "seq",
    "recorded_at",
    "action",
    "username",
    "public_key",
    "key_id",
    "valid_from",
    "reason",
    "operator",
    "unit_key_id",
    "prev_hash",
)


def registry_entry_hash(entry: Mapping[str, Any]) -> str:
    return sha256_hex(canonical_json({name: entry.get(name) for name in REGISTRY_FIELDS}))


@dataclass
class KeyPeriod:
    """One key of one user and when the unit vouched for it."""

    username: str
    public_key: str
    key_id: str
    valid_from: str
    ended_at: str | None = None
    #: "revoked" or "replaced" once ended
    ended_how: str | None = None


def _time(text: Any) -> datetime | None:
    try:
        return parse_time(str(text))
    except ValueError:
        return None


@dataclass
class KeyRing:
    """The keys a verifier accepts: per user, each certified key with its validity."""

    periods: dict[str, list[KeyPeriod]] = field(default_factory=dict)
    #: None: built from trusted key lines (no registry was checked)
    unit_key_id: str | None = None

    @classmethod
    def trusting(cls, keys: Mapping[str, Any]) -> KeyRing:
        """A ring from plain ``username -> SignerKey`` pairs, each valid at every moment (for
        callers that did their own checking)."""
        ring = cls()
        for name, key in keys.items():
            ring.periods[name] = [
                KeyPeriod(name, key.public_key, key.key_id, "0001-01-01T00:00:00+00:00")
            ]
        return ring

    def knows(self, username: str) -> bool:
        return username in self.periods

    def keys_of(self, username: str) -> list[KeyPeriod]:
        return list(self.periods.get(username, ()))

    def current(self, username: str) -> KeyPeriod | None:
        live = [p for p in self.periods.get(username, ()) if p.ended_at is None]
        return live[-1] if live else None

    def find(self, key_id: str) -> KeyPeriod | None:
        return next((p for ps in self.periods.values() for p in ps if p.key_id == key_id), None)

    def check(self, username: str, key_id: Any, at: Any) -> tuple[str | None, str | None]:
        """``(public_key, None)`` when ``key_id`` was ``username``'s certified key at time
        ``at``; else ``(None, why)``."""
        short = f"{str(key_id)[:16]}..."
        period = next((p for p in self.periods.get(username, ()) if p.key_id == key_id), None)
        if period is None:
            other = self.find(str(key_id))
            if other is not None:
                return None, (
                    f"signed with key {short}, which the unit certified for "
                    f"{other.username!r}, not for {username!r}"
                )
            return None, (
                f"signed by {username!r} with key {short}, which the unit never "
                "certified (an invented signer or key)"
            )
        moment = _time(at)
        if moment is None:
            return None, f"signing time {str(at)[:40]!r} is not an RFC 3339 time"
        start = _time(period.valid_from)
        if start is not None and moment < start:
            return None, (
                f"signed with {username!r}'s key {short} before the unit certified "
                f"it (valid from {period.valid_from})"
            )
        end = _time(period.ended_at) if period.ended_at else None
        if end is not None and moment >= end:
            what = "revoked" if period.ended_how == "revoked" else "replaced by a new key"
            return None, (
                f"signed with {username!r}'s key {short} at {at}, but that key was "
                f"{what} at {period.ended_at}"
            )
        return period.public_key, None


def verify_registry(
    entries: Sequence[Mapping[str, Any]], unit_public_key: str
) -> tuple[KeyRing, list[str]]:
    """The ring the registry ``entries`` vouch for, checked against the unit's public key,
    and the problems found (an entry that does not verify vouches for nothing)."""
    unit_key_id = key_id_of(unit_public_key)
    ring = KeyRing(unit_key_id=unit_key_id)
    problems: list[str] = []
    prev_hash, expected = GENESIS_HASH, 1
    for entry in entries:
        seq = entry.get("seq")
        where = f"key registry entry {seq}"
        bad = False
        if seq != expected:
            problems.append(
                f"{where}: expected entry {expected} (entry deleted, inserted or reordered)"
            )
            bad = True
        if entry.get("prev_hash") != prev_hash:
            problems.append(f"{where}: does not link to the previous entry")
            bad = True
        digest = registry_entry_hash(entry)
        if digest != entry.get("entry_hash"):
            problems.append(f"{where}: content does not match its hash (changed)")
            bad = True
        elif not verify_signature(
            unit_public_key, str(entry.get("signature") or ""), bytes.fromhex(digest)
        ):
            problems.append(
                f"{where}: not signed by the unit key {unit_key_id[:16]}... "
                "(forged, or signed by another unit key)"
            )
            bad = True
        prev_hash = str(entry.get("entry_hash"))
        expected = (
            (seq + 1) if isinstance(seq, int) and not isinstance(seq, bool) else (expected + 1)
        )
        if not bad:
            _apply(ring, entry, problems, where)
    return ring, problems


def _apply(ring: KeyRing, entry: Mapping[str, Any], problems: list[str], where: str) -> None:
    username, action = str(entry.get("username")), entry.get("action")
    at = str(entry.get("recorded_at"))
    if action == "certified":
        public = str(entry.get("public_key"))
        try:
            key_id = key_id_of(public)
        except ValueError:
            problems.append(f"{where}: public key is not hex")
            return
        if key_id != entry.get("key_id"):
            problems.append(f"{where}: key id does not match the public key")
            return
        for period in ring.periods.get(username, ()):
            if period.ended_at is None:
                period.ended_at, period.ended_how = str(entry.get("valid_from") or at), "replaced"
        ring.periods.setdefault(username, []).append(
            KeyPeriod(username, public, key_id, str(entry.get("valid_from") or at))
        )
    elif action == "revoked":
        for period in ring.periods.get(username, ()):
            if period.key_id != entry.get("key_id"):
                continue
            ended, moment = _time(period.ended_at), _time(at)
            if ended is None or (moment is not None and moment < ended):
                period.ended_at, period.ended_how = at, "revoked"
    else:
        problems.append(f"{where}: unknown action {str(action)[:20]!r}")
