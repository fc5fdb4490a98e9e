"""The library's front door: a :class:`Lab` acting as one user.

Every method checks what the acting user may do, writes an audit entry (allowed or refused)
and returns detached records. Custody events are appended in the same transaction as the
change they describe, then anchored outside the database.

This module holds the :class:`Lab` itself (constructor, the checks and custody plumbing its
methods share) and :func:`open_lab`; the methods live in one mixin module per concern:
:mod:`~lccu.evidence.lab_admin`, :mod:`~lccu.evidence.lab_cases`,
:mod:`~lccu.evidence.lab_items`, :mod:`~lccu.evidence.lab_custody`,
:mod:`~lccu.evidence.lab_countersign`, :mod:`~lccu.evidence.lab_export`,
:mod:`~lccu.evidence.lab_audit`, :mod:`~lccu.evidence.lab_hashsets`,
:mod:`~lccu.evidence.lab_tags`, :mod:`~lccu.evidence.lab_marks`,
:mod:`~lccu.evidence.lab_files`, :mod:`~lccu.evidence.lab_xzone` and
:mod:`~lccu.evidence.lab_timelines`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lccu.config import Settings, load_settings
from lccu.errors import AccessDenied, ConfigError, LccuError, NotFound
from lccu.evidence.access import Actor, AuditLog
from lccu.evidence.anchors import AnchorJournal, AuditAnchors
from lccu.evidence.canonical import GENESIS_HASH
from lccu.evidence.caselock import lock_case
from lccu.evidence.chain import check_link
from lccu.evidence.custody import append_event, event_to_dict, load_registry, signer_keys
from lccu.evidence.db import Database
from lccu.evidence.gate import Gate
from lccu.evidence.keys import ClearKey, KeyLocked, KeyStore
from lccu.evidence.lab_admin import LabAdmin
from lccu.evidence.lab_audit import LabAudit
from lccu.evidence.lab_base import BOOTSTRAP, unit_public_key
from lccu.evidence.lab_case_files import LabCaseFiles
from lccu.evidence.lab_cases import LabCases
from lccu.evidence.lab_countersign import LabCountersign
from lccu.evidence.lab_custody import LabCustody
from lccu.evidence.lab_export import LabExport
from lccu.evidence.lab_hashsets import LabHashSets
from lccu.evidence.lab_items import LabItems
from lccu.evidence.lab_lookup import _lookup_case
from lccu.evidence.lab_marks import LabNotableMarks
from lccu.evidence.lab_runs import LabRuns
from lccu.evidence.lab_tags import LabTags
from lccu.evidence.lab_thumbnails import LabThumbnails
from lccu.evidence.lab_timelines import LabTimelines
from lccu.evidence.lab_xzone import LabCrossZone
from lccu.evidence.models import Case, CustodyEvent, EvidenceItem, KeyRegistryEntry, User
from lccu.evidence.registry import KeyRing, verify_registry


class Lab(
    LabAdmin,
    LabCases,
    LabItems,
    LabRuns,
    LabCustody,
    LabCountersign,
    LabExport,
    LabAudit,
    LabHashSets,
    LabNotableMarks,
    LabTags,
    LabCaseFiles,
    LabThumbnails,
    LabCrossZone,
    LabTimelines,
):
    """lccu as seen by one user. Open it with :func:`open_lab`."""

    def __init__(
        self,
        settings: Settings,
        actor: Actor,
        db: Database,
        prompt: Callable[[str, bool], str | None] | None = None,
    ) -> None:
        self.settings = settings
        self.actor = actor
        self.db = db
        #: asks a passphrase (``prompt(question, confirm)``) when the settings hold none
        self.prompt = prompt
        self.keys = KeyStore(
            settings.key_dir,
            passphrase=self._passphrase,
            kdf=settings.key_kdf,
            unit_passphrase=self._unit_passphrase,
        )
        self.anchors = AnchorJournal(settings.anchor_dir)
        self.audit = AuditLog(db, AuditAnchors(settings.anchor_dir))
        self.gate = Gate(actor, self.audit)

    # -- plumbing ---------------------------------------------------------------------------

    def _passphrase(self, username: str) -> str | None:
        """The passphrase of ``username``'s key: LCCU_PASSPHRASE, else the prompt (CLI in
        a terminal); only the acting user's key is ever unlocked this way."""
        if username != self.actor.username:
            return None
        if self.settings.passphrase:
            return self.settings.passphrase
        if self.prompt is not None:
            return self.prompt(f"passphrase of {username}'s signing key", False)
        return None

    def _unit_passphrase(self) -> str | None:
        """The unit key's passphrase: LCCU_UNIT_PASSPHRASE, else the prompt."""
        if self.settings.unit_passphrase:
            return self.settings.unit_passphrase
        if self.prompt is not None:
            return self.prompt("passphrase of the unit key", False)
        return None

    def _new_passphrase(self, username: str) -> str | None:
        """The passphrase a new key of ``username`` is encrypted with: LCCU_NEW_PASSPHRASE,
        else the prompt (asked twice); None leaves the key unencrypted."""
        if self.settings.new_passphrase:
            return self.settings.new_passphrase
        if self.prompt is not None:
            return self.prompt(f"new passphrase for {username}'s signing key", True)
        return None

    def close(self) -> None:
        """Release the database connections (the Lab is not used afterwards)."""
        self.db.dispose()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _deny(
        self,
        operation: str,
        why: str,
        *,
        case: Case | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
    ) -> AccessDenied:
        return self.gate.deny(
            operation, why, case=case, object_type=object_type, object_id=object_id
        )

    def _allow(
        self,
        operation: str,
        *,
        case: Case | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        justification: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.gate.allow(
            operation,
            case=case,
            object_type=object_type,
            object_id=object_id,
            justification=justification,
            detail=detail,
        )

    def _find_case(self, session: Session, ref: str) -> Case:
        case = _lookup_case(session, ref)
        if case is None:
            raise NotFound(f"no case {ref.strip()!r}", key="no_such", params={"ref": ref.strip()})
        return case

    def _unlock_own_key(self, operation: str) -> None:
        """Unlock the acting user's signing key for ``operation``, which signs: a key that
        stays locked (no passphrase, a wrong one) or one left in clear is that operation's
        refusal, audited once, before anything about it is decided or written."""
        me = self.actor.username
        if self.actor.user_id is None or self.keys.is_unlocked(me):
            return
        try:
            self.keys.load(me)
        except (KeyLocked, ClearKey) as exc:
            self.gate.deny(operation, str(exc), object_type="user", object_id=me)
            raise

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
    ) -> Case:
        """Load a case and check access through the gate (one audit entry either way;
        with ``audit=False`` only a refusal, see :meth:`Gate.case`).
        A change (``write``) or a read that ``signs`` a custody event first unlocks the
        actor's key (:meth:`_unlock_own_key`)."""
        if write or signs:
            self._unlock_own_key(operation)
        return self.gate.case(
            session,
            ref,
            operation,
            write=write,
            owner=owner,
            open_case=open_case,
            justification=justification,
            processing=processing,
            parties=parties,
            audit=audit,
        )

    def resolve(self, ref: str, operation: str = "resolve") -> str:
        """``"case"`` or ``"evidence"``: what ``ref`` names (access is checked when it is
        used). Raises :class:`NotFound` for neither, and for a case or item the user's
        zone may not see (:meth:`Gate.kind_of`), audited as ``operation``."""
        with self.db.session() as session:
            return self.gate.kind_of(session, ref, operation)

    def _find_item(self, session: Session, ref: str, *, case: Case | None = None) -> EvidenceItem:
        item = self.gate.find_item(session, ref, case=case)
        if item is None:
            raise self.gate.missing("evidence.read", "evidence", ref, "evidence item")
        return item

    def _item_for(
        self,
        session: Session,
        ref: str,
        operation: str,
        *,
        write: bool = False,
        processing: bool = False,
        signs: bool = False,
    ) -> tuple[Case, EvidenceItem]:
        """Load an item and check access through its case (one audit entry either way),
        after unlocking the actor's key for a change or a read that ``signs``."""
        if write or signs:
            self._unlock_own_key(operation)
        return self.gate.item(session, ref, operation, write=write, processing=processing)

    def _signing_key_id(self, session: Session) -> str:
        if self.actor.user_id is None:
            raise AccessDenied("custody events need a real user: pass --as USER")
        user = session.get(User, self.actor.user_id)
        assert user is not None
        revoked = session.scalar(
            select(KeyRegistryEntry.recorded_at).where(
                KeyRegistryEntry.action == "revoked",
                KeyRegistryEntry.key_id == user.key_id,
                KeyRegistryEntry.username == user.username,
            )
        )
        if revoked is not None:
            raise AccessDenied(
                f"{user.username}'s signing key was revoked at {revoked}; an "
                "operator gives a new one (`lccu user rotate-key`)",
                key="key_revoked",
                params={"user": user.username, "at": revoked},
            )
        return user.key_id

    def _append(self, session: Session, case: Case, action: str, **fields: Any) -> dict[str, Any]:
        key_id = self._signing_key_id(session)
        self.keys.forget_unless(self.actor.username, key_id)  # rotated since unlocked
        self._anchor_late(session, case.id)
        event = append_event(session, case, self.actor, key_id, self.keys, action, **fields)
        self.anchors.intend(
            case.id, event.seq, event.event_hash, self.actor.username, self.keys
        )  # before the commit: see _anchor_late
        return {"case_id": case.id, "seq": event.seq, "event_hash": event.event_hash}

    def _key_ring(self, session: Session, unit_key: str | None = None) -> tuple[KeyRing, list[str]]:
        """The keys the unit certified (checked against the unit's public key) and the
        problems of the registry itself."""
        public = unit_public_key(self.settings, self.keys, unit_key)
        if public is None:
            return KeyRing(), [
                "no unit public key to check the key registry against: give "
                "--unit-key or set LCCU_UNIT_PUBLIC_KEY"
            ]
        return verify_registry(load_registry(session), public)

    def _anchor_late(self, session: Session, case_id: str) -> None:
        """Anchor the case's last event if the process that appended it stopped before
        anchoring it (it commits first, then anchors), so that a crash does not leave an
        honest event that verify cannot tell from an inserted one.

        Runs under the case row's lock, before each append. The normal path costs one look:
        is the last event anchored (:meth:`AnchorJournal.is_anchored`)? Only if not, the
        event is anchored late, and only if it belongs to the chain: its predecessor has a
        verified anchor (or it is event 1) and it links to that anchored hash with a valid
        signature by a key the unit certified for its actor (:func:`check_link`, the
        verifier's own checks), and its actor's signed intent line, written before the
        commit (:meth:`AnchorJournal.intend`), names it: an event put straight into the
        database has none, even one signed with a real key. Only that one event: a crash
        leaves at most one, since every append first anchors its predecessor; more
        unanchored events at the tail mean deleted anchors or inserted events, which must
        stay findings. An event that fails stays unanchored and verify reports it."""
        lock_case(session, case_id)
        rows = session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.case_id == case_id)
            .order_by(CustodyEvent.seq.desc())
            .limit(2)
        ).all()
        if not rows or self.anchors.is_anchored(case_id, rows[0].seq, self.settings):
            return
        last = event_to_dict(rows[0])
        if unit_public_key(self.settings, self.keys) is not None:
            ring, _ = self._key_ring(session)
        else:  # a worker without LCCU_UNIT_PUBLIC_KEY: the users' keys (verify checks the
            # event again against the unit-certified registry: a key swapped in users fails)
            ring = KeyRing.trusting(signer_keys(session))
        prev_hash = GENESIS_HASH
        if last["seq"] != 1:
            if len(rows) < 2 or rows[1].seq != last["seq"] - 1:
                return
            anchored = {
                a.head_hash
                for a in self.anchors.read_seq(case_id, rows[1].seq, ring, self.settings)
            }
            if rows[1].event_hash not in anchored:
                return
            prev_hash = rows[1].event_hash
        if check_link(last, prev_hash, ring, case_id):
            return
        if not any(
            i.head_hash == last["event_hash"] and i.actor == last["actor"]
            for i in self.anchors.intents(case_id, last["seq"], ring)
        ):
            return  # no intent written before its commit: not appended by lccu
        self.anchors.record(
            case_id,
            last["seq"],
            last["event_hash"],
            last["actor"],
            self.keys,
            self.settings,
            late_by=self.actor.username,
        )

    def _anchor(self, head: dict[str, Any]) -> None:
        self.anchors.record(
            head["case_id"],
            head["seq"],
            head["event_hash"],
            self.actor.username,
            self.keys,
            self.settings,
        )
        if self.settings.s3_endpoint:  # the audit log's head goes under object lock too
            with self.db.session() as session:
                audit_head = self.audit.head(session)
            if audit_head is not None:
                AuditAnchors(self.settings.anchor_dir).record_remote(*audit_head, self.settings)


def open_lab(
    user: str | None = None,
    settings: Settings | None = None,
    prompt: Callable[[str, bool], str | None] | None = None,
) -> Lab:
    """Open lccu as ``user`` (default ``LCCU_USER``); migrates the database if needed.
    ``prompt`` asks for a passphrase the settings do not give (the CLI in a terminal)."""
    settings = settings or load_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    username = user or settings.user
    try:
        if username is None:
            return Lab(settings, BOOTSTRAP, db, prompt)
        with db.session() as session:
            row = session.scalar(select(User).where(User.username == username))
            if row is None:
                AuditLog(db, AuditAnchors(settings.anchor_dir)).write(
                    Actor(username, None, None, None),
                    "login",
                    allowed=False,
                    detail={"why": "unknown user"},
                )
                raise NotFound(
                    f"no user {username!r}; the unit admin or the zone's operator "
                    "adds users with `lccu user add`"
                )
            if not row.active:
                raise AccessDenied(f"user {username!r} is deactivated")
            actor = Actor(row.username, row.zone.name, row.zone_id, row.role, row.id)
        return Lab(settings, actor, db, prompt)
    except LccuError:
        db.dispose()
        raise


def require_user(lab: Lab) -> None:
    if lab.actor is BOOTSTRAP:
        raise ConfigError("no acting user: pass --as USER or set LCCU_USER")
