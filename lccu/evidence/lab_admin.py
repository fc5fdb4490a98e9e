"""Administering zones and users (each user with a signing key): the operator's part of
:class:`~lccu.evidence.lab.Lab`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lccu.errors import AccessDenied, AlreadyExists, InvalidInput, KeyStoreError, NotFound
from lccu.evidence.access import ADMIN_ROLES
from lccu.evidence.custody import append_registry
from lccu.evidence.keys import check_username, key_id_of, public_key_hex
from lccu.evidence.lab_base import BOOTSTRAP, LabBase, _now
from lccu.evidence.models import KeyRegistryEntry, User, Zone
from lccu.evidence.records import UserInfo
from lccu.evidence.terms import ROLES


class LabAdmin(LabBase):
    """Zones and users."""

    # -- zones and users ----------------------------------------------------------------------

    def _require_admin(self, operation: str) -> None:
        if self.actor is BOOTSTRAP:
            with self.db.session() as session:
                users = session.scalar(select(func.count()).select_from(User)) or 0
            if users == 0:
                return
            raise AccessDenied("users exist already: act as an operator (--as USER)")
        if self.actor.role not in ADMIN_ROLES:
            raise self._deny(operation, f"only an operator administers zones and users, "
                                        f"not a {self.actor.role}")

    def add_zone(self, name: str) -> str:
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("a zone name must have 1 to 100 characters")
        self._require_admin("zone.create")
        with self.db.session() as session:
            if session.scalar(select(Zone).where(Zone.name == name)):
                raise AlreadyExists(f"zone {name!r} exists already")
            session.add(Zone(name=name, created_at=_now()))
        self._allow("zone.create", object_type="zone", object_id=name[:64])
        return name

    def zones(self) -> list[str]:
        with self.db.session() as session:
            return list(session.scalars(select(Zone.name).order_by(Zone.name)))

    def add_user(self, username: str, zone: str, role: str,
                 full_name: str | None = None) -> UserInfo:
        check_username(username)
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        self._require_admin("user.create")
        if self.actor is BOOTSTRAP and role != "operator":
            raise InvalidInput("the first user must be an operator (--role operator); that "
                               "operator then adds the others")
        with self.db.session() as session:
            zone_row = session.scalar(select(Zone).where(Zone.name == zone))
            if zone_row is None:
                raise NotFound(f"no zone {zone!r}; create it with `lccu zone add`")
            if session.scalar(select(User).where(User.username == username)):
                raise AlreadyExists(f"user {username!r} exists already")
            sign, unit_key_id = self._unit_signer(session)
            public = self.keys.create(username)
            user = User(username=username, full_name=full_name, zone=zone_row, role=role,
                        public_key=public, key_id=key_id_of(public), created_at=_now())
            session.add(user)
            session.flush()
            append_registry(session, sign, unit_key_id, action="certified", username=username,
                            key_id=user.key_id, public_key=public, valid_from=user.created_at,
                            operator=self.actor.username, reason="user added")
            info = UserInfo.of(user)
        self._allow("user.create", object_type="user", object_id=username,
                    detail={"zone": zone, "role": role, "key_id": info.key_id})
        return info

    def users(self) -> list[UserInfo]:
        with self.db.session() as session:
            return [UserInfo.of(u) for u in session.scalars(select(User).order_by(User.username))]

    # -- the unit key and its key registry ---------------------------------------------------

    def _unit_signer(self, session: Session) -> tuple[Callable[[bytes], str], str]:
        """The unit key's signing function and fingerprint. The first time (no unit key and
        an empty registry: a new unit, or one upgraded from before the registry) the unit key
        is created and every existing user's current key certified from its creation."""
        if not self.keys.has_unit_key():
            if session.scalar(select(func.count()).select_from(KeyRegistryEntry)):
                raise KeyStoreError(f"the unit key is not on this machine "
                                    f"({self.keys.unit_path}) but the key registry has "
                                    "entries: certify keys where the operators keep it")
            self.keys.create_unit()
            key = self.keys.load_unit()
            unit_key_id = key_id_of(public_key_hex(key.public_key()))
            for user in session.scalars(select(User).order_by(User.id)):
                append_registry(session, lambda m: key.sign(m).hex(), unit_key_id,
                                action="certified", username=user.username,
                                key_id=user.key_id, public_key=user.public_key,
                                valid_from=user.created_at, operator=self.actor.username,
                                reason="key in use when the unit key was created")
        key = self.keys.load_unit()
        return (lambda message: key.sign(message).hex(),
                key_id_of(public_key_hex(key.public_key())))

    def unit_key(self) -> str:
        """The unit's public key (hex), to note in the unit's procedures and give to
        verifiers (``--unit-key``). Created on first use by an operator."""
        if not self.keys.has_unit_key():
            self._require_admin("unit.key")
            with self.db.session() as session:
                self._unit_signer(session)
            self._allow("unit.key.create", object_type="unit_key")
        public = self.keys.unit_public()
        assert public is not None
        return public

    def revoke_key(self, username: str, reason: str) -> dict[str, Any]:
        """Revoke ``username``'s current key from now on (a lost or exposed key): events it
        signs from now fail verification; earlier ones stay valid. Operators only."""
        if not reason.strip():
            raise InvalidInput("give the reason of the revocation")
        self._require_admin("key.revoke")
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(f"no user {username!r}")
            sign, unit_key_id = self._unit_signer(session)
            entry = append_registry(session, sign, unit_key_id, action="revoked",
                                    username=username, key_id=user.key_id,
                                    operator=self.actor.username, reason=reason.strip())
        self._allow("key.revoke", object_type="user", object_id=username,
                    detail={"key_id": entry["key_id"], "reason": reason.strip()})
        return entry

    def rotate_key(self, username: str, reason: str | None = None) -> UserInfo:
        """Give ``username`` a new signing key, certified from now; the old key's events stay
        verifiable (the registry keeps it with its period). Operators only."""
        self._require_admin("key.rotate")
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(f"no user {username!r}")
            sign, unit_key_id = self._unit_signer(session)
            self.keys.retire(username, user.key_id)
            public = self.keys.create(username)
            now = _now()
            user.public_key, user.key_id = public, key_id_of(public)
            session.flush()
            append_registry(session, sign, unit_key_id, action="certified", username=username,
                            key_id=user.key_id, public_key=public, valid_from=now,
                            operator=self.actor.username, reason=reason or "key rotated")
            info = UserInfo.of(user)
        self._allow("key.rotate", object_type="user", object_id=username,
                    detail={"key_id": info.key_id})
        return info
