"""Administering zones and users (each user with a signing key): the operator's part of
:class:`~lccu.evidence.lab.Lab`.
"""

from __future__ import annotations

from sqlalchemy import func, select

from lccu.errors import AccessDenied, AlreadyExists, InvalidInput, NotFound
from lccu.evidence.access import ADMIN_ROLES
from lccu.evidence.keys import check_username, key_id_of
from lccu.evidence.lab_base import BOOTSTRAP, LabBase, _now
from lccu.evidence.models import User, Zone
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
            public = self.keys.create(username)
            user = User(username=username, full_name=full_name, zone=zone_row, role=role,
                        public_key=public, key_id=key_id_of(public), created_at=_now())
            session.add(user)
            session.flush()
            info = UserInfo.of(user)
        self._allow("user.create", object_type="user", object_id=username,
                    detail={"zone": zone, "role": role, "key_id": info.key_id})
        return info

    def users(self) -> list[UserInfo]:
        with self.db.session() as session:
            return [UserInfo.of(u) for u in session.scalars(select(User).order_by(User.username))]
