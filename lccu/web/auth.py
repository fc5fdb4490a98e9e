"""Passwords, browser sessions, API tokens and the login rate limit.

A session cookie carries a random secret signed with the server key; the database keeps
only its SHA-256, so logout (``revoked_at``) really ends it and a stolen database row cannot
be replayed. A new secret is issued at every login (no session fixation). API tokens are
stored the same way and end at their expiry, on revocation, and when their user's password,
role or zone changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import select
from sqlalchemy.orm import Session

from lccu.errors import InvalidInput, NotFound
from lccu.evidence.access import Actor, AuditLog
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.db import Database
from lccu.evidence.gate import Gate
from lccu.evidence.models import User
from lccu.web.models import ApiToken, WebCredential, WebSession

TOKEN_TOUCH = timedelta(minutes=1)  # how often a token's last use is written

MIN_PASSWORD = 12
_hasher = PasswordHasher()
# verified when the user is unknown, so that both paths take the same time
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def touch_due(last: str | None, now: datetime, every: timedelta) -> bool:
    """Whether a last-use stamp (RFC 3339 UTC text, which compares as text) is older than
    ``every``: such stamps are written at most that often, not once per request."""
    return not last or last <= format_time(now - every)


def actor_of(user: User) -> Actor:
    return Actor(user.username, user.zone.name, user.zone_id, user.role, user.id)


def actor_by_name(db: Database, username: str) -> Actor:
    """Who a login attempt names, for the audit log (zone known when the user exists)."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username[:64]))
        if user is None:
            return Actor(username[:64], None, None, None)
        return actor_of(user)


@dataclass(frozen=True)
class Principal:
    """Who a request acts as, and how it authenticated."""

    actor: Actor
    via: str  # "session" or "token"
    csrf_token: str | None = None
    session_hash: str | None = None
    #: a token request's X-Key-Passphrase header: unlocks the caller's key for this request
    key_passphrase: str | None = field(default=None, repr=False)


def set_password(db: Database, by: Actor, username: str, password: str) -> None:
    """Store an argon2 hash; only the user, a unit admin or an operator of the user's zone
    may set it (audited)."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters",
                           key="password_too_short", params={"count": MIN_PASSWORD})
    audit = AuditLog(db)
    now = format_time(utc_now())
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if by.username != username:
            # an admin, or an operator of the user's own zone, decided by the gate (which
            # audits a refusal): zone B's operator cannot take over zone A's users
            Gate(by, audit).credential(user, username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        row = session.get(WebCredential, user.id)
        digest = _hasher.hash(password)
        if row is None:
            session.add(WebCredential(user_id=user.id, password_hash=digest, created_at=now,
                                      changed_at=now))
        else:
            row.password_hash, row.changed_at = digest, now
        # a new password ends every open session and every API token of that user
        for open_session in session.scalars(select(WebSession).where(
                WebSession.user_id == user.id, WebSession.revoked_at.is_(None))):
            open_session.revoked_at = now
        tokens = revoke_user_tokens(session, user.id, "password changed")
    audit.write(by, "password.set", allowed=True, object_type="user", object_id=username,
                detail={"tokens_revoked": tokens} if tokens else None)


def check_password(db: Database, username: str, password: str) -> Actor | None:
    """The user's actor when the password is right and the user active, else None."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        cred = session.get(WebCredential, user.id) if user is not None else None
        digest = cred.password_hash if cred is not None else _DUMMY_HASH
        try:
            _hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or cred is None or not user.active:
            return None
        if _hasher.check_needs_rehash(digest):
            cred.password_hash = _hasher.hash(password)
        return actor_of(user)


class Sessions:
    """Server-side sessions behind signed cookies, ended after ``hours`` in all or after
    ``idle_minutes`` unused (a workstation left logged in)."""

    def __init__(self, db: Database, secret_key: str, hours: int,
                 idle_minutes: float = 30.0) -> None:
        self.db = db
        self.signer = TimestampSigner(secret_key, salt="lccu-session")
        self.hours = hours
        self.idle = timedelta(minutes=idle_minutes)
        # last use is written at most this often, not at every request; the idle timeout
        # is therefore exact to within this interval
        self.touch_every = min(timedelta(minutes=1), self.idle / 10)
        self.csrf_key = hashlib.sha256(b"lccu-csrf:" + secret_key.encode()).digest()
        #: called with a session's hash when it ends (logout, idle timeout, expiry seen):
        #: the web state drops the signing key that session unlocked
        self.on_end: Callable[[str], None] | None = None

    def _ended(self, id_hash: str) -> None:
        if self.on_end is not None:
            self.on_end(id_hash)

    def hash_of(self, cookie: str | None) -> str | None:
        """The stored hash of a session cookie (None for a forged or expired cookie)."""
        raw = self._raw(cookie)
        return _sha256(raw) if raw is not None else None

    def live(self, hashes: set[str]) -> set[str]:
        """Which of these sessions are still usable (not revoked, not expired, not idle)."""
        if not hashes:
            return set()
        moment = utc_now()
        with self.db.session() as session:
            rows = session.scalars(select(WebSession).where(WebSession.id_hash.in_(hashes)))
            return {r.id_hash for r in rows if r.revoked_at is None
                    and r.expires_at > format_time(moment)
                    and (r.last_seen_at or r.created_at) > format_time(moment - self.idle)}

    def create(self, actor: Actor, client_ip: str | None, replaces: str | None) -> str:
        """A fresh session for ``actor``; the cookie value it returns is never reused."""
        if replaces:
            self.revoke(replaces)
        raw = secrets.token_urlsafe(32)
        now = utc_now()
        with self.db.session() as session:
            session.add(WebSession(
                id_hash=_sha256(raw), user_id=actor.user_id, csrf_token=secrets.token_hex(32),
                client_ip=(client_ip or "")[:64], created_at=format_time(now),
                expires_at=format_time(now + timedelta(hours=self.hours)), revoked_at=None,
                last_seen_at=format_time(now)))
        return self.signer.sign(raw).decode()

    def _raw(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return self.signer.unsign(cookie, max_age=self.hours * 3600).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    def lookup(self, cookie: str | None) -> Principal | None:
        raw = self._raw(cookie)
        if raw is None:
            return None
        moment = utc_now()
        now = format_time(moment)  # RFC 3339 UTC text of one width: compares as text
        idle_actor: Actor | None = None
        with self.db.session() as session:
            row = session.get(WebSession, _sha256(raw))
            if row is None or row.revoked_at is not None or row.expires_at <= now:
                self._ended(_sha256(raw))
                return None
            user = session.get(User, row.user_id)
            if user is None or not user.active:
                return None
            last_seen = row.last_seen_at or row.created_at
            if last_seen <= format_time(moment - self.idle):
                row.revoked_at = now
                idle_actor = actor_of(user)
                self._ended(row.id_hash)
            else:
                if touch_due(last_seen, moment, self.touch_every):
                    row.last_seen_at = now
                return Principal(actor_of(user), "session", row.csrf_token, row.id_hash)
        AuditLog(self.db).write(idle_actor, "logout", allowed=True,
                                detail={"why": "idle timeout", "last_seen": last_seen})
        return None

    def revoke(self, cookie: str | None) -> None:
        raw = self._raw(cookie)
        if raw is None:
            return
        with self.db.session() as session:
            row = session.get(WebSession, _sha256(raw))
            if row is not None and row.revoked_at is None:
                row.revoked_at = format_time(utc_now())
        self._ended(_sha256(raw))


def csrf_matches(principal: Principal | None, submitted: str | None) -> bool:
    if principal is None or principal.csrf_token is None or not submitted:
        return False
    return hmac.compare_digest(principal.csrf_token, submitted)


#: default and longest lifetime of an API token, in days
TOKEN_DAYS = 90
TOKEN_MAX_DAYS = 365


def token_state(row: ApiToken, now: str) -> str:
    """``active``, ``expired`` or ``revoked`` (RFC 3339 UTC texts compare as text)."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is None or row.expires_at <= now:
        return "expired"
    return "active"


class Tokens:
    """API tokens for scripts: shown once, stored as SHA-256, ending at an expiry, when
    revoked by their user, and when their user's password, role or zone changes."""

    PREFIX = "lccu_"

    def __init__(self, db: Database, default_days: int = TOKEN_DAYS) -> None:
        self.db = db
        self.default_days = default_days

    def create(self, actor: Actor, name: str, days: int | None = None) -> tuple[str, str]:
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("a token name must have 1 to 100 characters", key="token_name")
        days = self.default_days if days is None else days
        if isinstance(days, bool) or not 1 <= days <= TOKEN_MAX_DAYS:
            raise InvalidInput(f"a token lives 1 to {TOKEN_MAX_DAYS} days, not {days}",
                               key="token_days", params={"max": TOKEN_MAX_DAYS, "days": days})
        token = self.PREFIX + secrets.token_urlsafe(32)
        token_id = str(uuid.uuid4())
        now = utc_now()
        expires = format_time(now + timedelta(days=days))
        with self.db.session() as session:
            user = session.get(User, actor.user_id)
            if user is None:
                raise NotFound(f"no user {actor.username!r}")
            session.add(ApiToken(id=token_id, user_id=user.id, name=name,
                                 token_hash=_sha256(token), created_at=format_time(now),
                                 last_used_at=None, revoked_at=None, expires_at=expires,
                                 issued_role=user.role, issued_zone_id=user.zone_id))
        AuditLog(self.db).write(actor, "token.create", allowed=True, object_type="token",
                                object_id=token_id, detail={"name": name, "expires_at": expires})
        return token_id, token

    def list(self, actor: Actor) -> list[dict[str, str | None]]:
        """The user's tokens, oldest first, with their state (never the secret)."""
        now = format_time(utc_now())
        with self.db.session() as session:
            user = session.get(User, actor.user_id)
            rows = list(session.scalars(select(ApiToken)
                                        .where(ApiToken.user_id == actor.user_id)
                                        .order_by(ApiToken.created_at)))
            for row in rows:
                if user is not None and token_state(row, now) == "active":
                    _end_if_user_changed(row, user, now)
            return [{"id": r.id, "name": r.name, "created_at": r.created_at,
                     "expires_at": r.expires_at, "last_used_at": r.last_used_at,
                     "revoked_at": r.revoked_at, "revoked_why": r.revoked_why,
                     "state": token_state(r, now)} for r in rows]

    def revoke(self, actor: Actor, token_id: str) -> None:
        with self.db.session() as session:
            row = session.get(ApiToken, token_id[:36])
            if row is None or row.user_id != actor.user_id:
                raise NotFound(f"no token {token_id[:36]!r}", key="no_such",
                               params={"ref": token_id[:36]})
            if row.revoked_at is None:
                row.revoked_at, row.revoked_why = format_time(utc_now()), "revoked by its user"
        AuditLog(self.db).write(actor, "token.revoke", allowed=True, object_type="token",
                                object_id=token_id[:36])

    def lookup(self, token: str) -> Principal | None:
        if not token.startswith(self.PREFIX) or len(token) > 100:
            return None
        moment = utc_now()
        now = format_time(moment)
        ended: tuple[Actor, str, str] | None = None
        with self.db.session() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(token)))
            if row is None or token_state(row, now) != "active":
                return None
            user = session.get(User, row.user_id)
            if user is None or not user.active:
                return None
            if _end_if_user_changed(row, user, now):
                ended = (actor_of(user), row.id, str(row.revoked_why))
            else:
                if touch_due(row.last_used_at, moment, TOKEN_TOUCH):  # not a commit per chunk
                    row.last_used_at = now
                return Principal(actor_of(user), "token")
        AuditLog(self.db).write(ended[0], "token.revoke", allowed=True, object_type="token",
                                object_id=ended[1], detail={"why": ended[2]})
        return None


def _end_if_user_changed(row: ApiToken, user: User, now: str) -> bool:
    """Revoke a token whose user's role or zone is no longer the one it was issued under
    (by whatever path the change came: a token never carries powers it was not given)."""
    if (row.issued_role, row.issued_zone_id) == (user.role, user.zone_id):
        return False
    row.revoked_at, row.revoked_why = now, "role or zone of its user changed"
    return True


def revoke_user_tokens(session: Session, user_id: int, why: str) -> int:
    """End every live token of a user (a new password, a new role); returns how many."""
    now = format_time(utc_now())
    count = 0
    for row in session.scalars(select(ApiToken).where(ApiToken.user_id == user_id,
                                                      ApiToken.revoked_at.is_(None))):
        row.revoked_at, row.revoked_why = now, why
        count += 1
    return count


class LoginLimiter:
    """At most ``limit`` failed logins per user and address within ``window`` seconds.

    An attempt is counted when it arrives, before its password is checked (:meth:`admit`),
    and only a success takes the count back: so twenty wrong passwords sent at the same
    moment get ``limit`` checks and ``20 - limit`` refusals, however long each check takes.
    Kept in memory: one server process per unit; a restart forgets (the audit log does not).
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def admit(self, username: str, ip: str) -> bool:
        """Count one attempt for (user, address) unless the limit is reached; False means
        refuse it without checking the password."""
        with self._lock:
            now = time.monotonic()
            times = self._recent((username, ip), now)
            if len(times) >= self.limit:
                return False
            times.append(now)  # a failure until the password proves right
            if len(self._failures) > 10000:  # random usernames must not fill the memory
                for key in [k for k in self._failures if not self._recent(k, now)]:
                    del self._failures[key]
            return True

    def succeeded(self, username: str, ip: str) -> None:
        with self._lock:
            self._failures.pop((username, ip), None)
