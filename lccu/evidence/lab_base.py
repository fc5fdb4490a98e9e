"""The shared ground of the :class:`~lccu.evidence.lab.Lab` mixins: what a Lab has, and the
bootstrap actor and clock they use, so that each mixin module type-checks on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from lccu.config import Settings
from lccu.errors import AccessDenied
from lccu.evidence.access import Actor, AuditLog
from lccu.evidence.anchors import AnchorJournal
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.db import Database
from lccu.evidence.gate import Gate
from lccu.evidence.keys import KeyStore
from lccu.evidence.models import Case, EvidenceItem

if TYPE_CHECKING:
    from lccu.evidence.registry import KeyRing

BOOTSTRAP = Actor(username="bootstrap", zone=None, zone_id=None, role=None)


def _now() -> str:
    return format_time(utc_now())


def unit_public_key(settings: Settings, keys: KeyStore, given: str | None = None) -> str | None:
    """The unit public key a verification trusts: the one the verifier gives, else the one
    noted in the settings, else this machine's unit key."""
    chosen = given or settings.unit_public_key
    return chosen.strip().lower() if chosen else keys.unit_public()


class LabBase:
    """What every :class:`~lccu.evidence.lab.Lab` mixin relies on: the attributes the
    constructor sets and the shared internals :class:`~lccu.evidence.lab.Lab` defines."""

    settings: Settings
    actor: Actor
    db: Database
    keys: KeyStore
    anchors: AnchorJournal
    audit: AuditLog
    prompt: Callable[[str, bool], str | None] | None
    gate: Gate

    if TYPE_CHECKING:

        def _deny(
            self,
            operation: str,
            why: str,
            *,
            case: Case | None = None,
            object_type: str | None = None,
            object_id: str | None = None,
        ) -> AccessDenied: ...

        def _allow(
            self,
            operation: str,
            *,
            case: Case | None = None,
            object_type: str | None = None,
            object_id: str | None = None,
            justification: str | None = None,
            detail: dict[str, Any] | None = None,
        ) -> None: ...

        def _find_case(self, session: Session, ref: str) -> Case: ...

        def _case_for(
            self,
            session: Session,
            ref: str,
            operation: str,
            *,
            write: bool = False,
            justification: str | None = None,
            processing: bool = False,
            owner: bool = False,
            open_case: bool = False,
            parties: tuple[str, ...] = (),
            signs: bool = False,
            audit: bool = True,
        ) -> Case: ...

        def _unlock_own_key(self, operation: str) -> None: ...

        def _find_item(
            self, session: Session, ref: str, *, case: Case | None = None
        ) -> EvidenceItem: ...

        def _item_for(
            self,
            session: Session,
            ref: str,
            operation: str,
            *,
            write: bool = False,
            processing: bool = False,
            signs: bool = False,
        ) -> tuple[Case, EvidenceItem]: ...

        def _signing_key_id(self, session: Session) -> str: ...

        def _append(
            self, session: Session, case: Case, action: str, **fields: Any
        ) -> dict[str, Any]: ...

        def _anchor(self, head: dict[str, Any]) -> None: ...

        def finished_report(
            self, evidence: str, run_id: str | None = None, fmt: str = "json"
        ) -> tuple[str, str]: ...

        def _new_passphrase(self, username: str) -> str | None: ...

        def _key_ring(
            self, session: Session, unit_key: str | None = None
        ) -> tuple[KeyRing, list[str]]: ...
