"""Administering zones and users (each user with a signing key): the admin's and zone
operators' part of
:class:`~lccu.evidence.lab.Lab`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lccu.errors import AccessDenied, AlreadyExists, InvalidInput, KeyStoreError, NotFound
from lccu.evidence.custody import append_registry
from lccu.evidence.keys import (
    NEW_KEY_VARIABLE,
    check_username,
    key_id_of,
    public_key_hex,
    require_passphrase,
)
from lccu.evidence.lab_base import BOOTSTRAP, LabBase, _now
from lccu.evidence.models import KeyRegistryEntry, User, Zone
from lccu.evidence.records import UserInfo
from lccu.evidence.terms import ROLES


class LabAdmin(LabBase):
    """Zones and users."""

    # -- zones and users ----------------------------------------------------------------------

    def _bootstrapping(self) -> bool:
        """True while no user exists: the bootstrap identity may then create zones and the
        first user (a unit admin); once a user exists, everyone acts as a user."""
        if self.actor is not BOOTSTRAP:
            return False
        with self.db.session() as session:
            users = session.scalar(select(func.count()).select_from(User)) or 0
        if users == 0:
            return True
        raise AccessDenied("users exist already: act as an admin or operator (--as USER)")

    def add_zone(self, name: str) -> str:
        """Create a police zone (unit admins only, or the bootstrap before any user)."""
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("a zone name must have 1 to 100 characters")
        bootstrapping = self._bootstrapping()
        with self.db.session() as session:
            if session.scalar(select(Zone).where(Zone.name == name)):
                raise AlreadyExists(f"zone {name!r} exists already")
            if not bootstrapping:
                self.gate.administer("zone.create", object_id=name[:64])
            session.add(Zone(name=name, created_at=_now()))
        if bootstrapping:
            self._allow("zone.create", object_type="zone", object_id=name[:64])
        return name

    def zones(self) -> list[str]:
        """The names of the unit's zones."""
        with self.db.session() as session:
            return list(session.scalars(select(Zone.name).order_by(Zone.name)))

    def add_user(self, username: str, zone: str, role: str,
                 full_name: str | None = None) -> UserInfo:
        """Create a user with a signing key. A unit admin creates users of any zone and
        role; a zone operator creates investigators, analysts and operators of their own
        zone only; the first user of a new unit (bootstrap) must be an admin."""
        check_username(username)
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        bootstrapping = self._bootstrapping()
        if bootstrapping and role != "admin":
            raise InvalidInput("the first user must be the unit's admin (--role admin); that "
                               "admin then adds the others")
        new = self._key_passphrase(username)
        with self.db.session() as session:
            zone_row = session.scalar(select(Zone).where(Zone.name == zone))
            if zone_row is None:
                raise NotFound(f"no zone {zone!r}; create it with `lccu zone add`")
            if not bootstrapping:
                first_admin = role == "admin" and not session.scalar(
                    select(func.count()).select_from(User).where(User.role == "admin"))
                self.gate.administer("user.create", zone=zone, role=role, object_id=username,
                                     first_admin=first_admin)
            if session.scalar(select(User).where(User.username == username)):
                raise AlreadyExists(f"user {username!r} exists already")
            sign, unit_key_id = self._unit_signer(session)
            public = self.keys.create(username, new)
            user = User(username=username, full_name=full_name, zone=zone_row, role=role,
                        public_key=public, key_id=key_id_of(public), created_at=_now())
            session.add(user)
            session.flush()
            append_registry(session, sign, unit_key_id, action="certified", username=username,
                            key_id=user.key_id, public_key=public, valid_from=user.created_at,
                            operator=self.actor.username, reason="user added")
            info = UserInfo.of(user)
        if bootstrapping:
            self._allow("user.create", object_type="user", object_id=username,
                        detail={"zone": zone, "role": role, "key_id": info.key_id})
        return info

    def users(self) -> list[UserInfo]:
        """Every user with zone, role and key fingerprint (to check signatures by)."""
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
            self.keys.create_unit(require_passphrase(
                "the unit", self.settings.unit_passphrase or (
                    self.prompt("new passphrase of the unit key", True) if self.prompt
                    else None), "LCCU_UNIT_PASSPHRASE"))
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
        verifiers (``--unit-key``). Created on first use by the unit admin."""
        if not self.keys.has_unit_key():
            bootstrapping = self._bootstrapping()
            with self.db.session() as session:
                if not bootstrapping:
                    self.gate.administer("unit.key.create", object_id="unit")
                self._unit_signer(session)
        public = self.keys.unit_public()
        assert public is not None
        return public

    def revoke_key(self, username: str, reason: str) -> dict[str, Any]:
        """Revoke ``username``'s current key from now on (a lost or exposed key): events it
        signs from now fail verification; earlier ones stay valid. A unit admin, or the
        user's zone operator."""
        if not reason.strip():
            raise InvalidInput("give the reason of the revocation")
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(f"no user {username!r}")
            self.gate.administer("key.revoke", zone=user.zone.name, role=user.role,
                                 object_id=username)
            sign, unit_key_id = self._unit_signer(session)
            entry = append_registry(session, sign, unit_key_id, action="revoked",
                                    username=username, key_id=user.key_id,
                                    operator=self.actor.username, reason=reason.strip())
        return entry

    def rotate_key(self, username: str, reason: str | None = None) -> UserInfo:
        """Give ``username`` a new signing key, certified from now; the old key's events stay
        verifiable (the registry keeps it with its period). A unit admin, or the user's zone
        operator."""
        new = self._key_passphrase(username)
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(f"no user {username!r}")
            self.gate.administer("key.rotate", zone=user.zone.name, role=user.role,
                                 object_id=username)
            sign, unit_key_id = self._unit_signer(session)
            self.keys.retire(username, user.key_id)
            public = self.keys.create(username, new)
            now = _now()
            user.public_key, user.key_id = public, key_id_of(public)
            session.flush()
            append_registry(session, sign, unit_key_id, action="certified", username=username,
                            key_id=user.key_id, public_key=public, valid_from=now,
                            operator=self.actor.username, reason=reason or "key rotated")
            info = UserInfo.of(user)
        return info

    def _key_passphrase(self, username: str) -> str:
        """The passphrase a new key of ``username`` gets, asked before any change is made
        (never inside a transaction); none is an input error: no key is stored in clear."""
        return require_passphrase(username, self._new_passphrase(username), NEW_KEY_VARIABLE)

    def protect_key(self) -> int:
        """Encrypt the acting user's signing key with a new passphrase (LCCU_NEW_PASSPHRASE
        or the prompt): a key left in clear by an older lccu (and its clear retired keys),
        or an encrypted one, first unlocked with the current passphrase. Returns how many
        clear key files were encrypted; audited as ``key.passphrase``."""
        if self.actor.user_id is None:
            raise AccessDenied("a signing key belongs to a user: pass --as USER")
        new = self._key_passphrase(self.actor.username)
        protected = self.keys.protect(self.actor.username, new)
        self._allow("key.passphrase", object_type="user", object_id=self.actor.username,
                    detail={"clear_files_encrypted": protected})
        return protected

    def protect_unit_key(self) -> None:
        """Encrypt a unit key left in clear by an older lccu with the unit passphrase
        (LCCU_UNIT_PASSPHRASE or the prompt). Unit admins only; audited as
        ``unit.key.protect``."""
        if not self.keys.unit_path.exists():
            raise InvalidInput("no unit key in clear on this machine: nothing to protect")
        self.gate.administer("unit.key.protect", object_id="unit")
        given = self.settings.unit_passphrase or (
            self.prompt("new passphrase of the unit key", True) if self.prompt else None)
        self.keys.protect_unit(require_passphrase("the unit", given, "LCCU_UNIT_PASSPHRASE"))

    def clear_keys(self) -> list[str]:
        """The key files of this machine's key folder stored in clear by an older lccu, as
        paths relative to it (``jan.ed25519.pem``, ``unit/unit.ed25519.pem``: no secret),
        each refused for signing until protected."""
        return [path.relative_to(self.keys.directory).as_posix()
                for path in self.keys.clear_keys()]
