"""Committing the staged container files of one item, and what a failure half-way leaves.

Every file of an item is staged (received, hashed, not yet an object version) before the
first is committed, so refusals before the commit leave nothing. The commits themselves
are one call per file and a store cannot make them one atomic step: if a later commit
fails (the S3 server stops answering, the key was taken meanwhile) or the item cannot be
recorded afterwards, the files already committed are locked under object lock and lccu
never deletes evidence. They are then not hidden: the refused intake is written to the
audit log and, as a ``note`` event, to the case's chain of custody, naming each object
retained (key, version, size, hashes), and the error the examiner sees names them too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from lccu.errors import LccuError, StorageError
from lccu.evidence.records import EvidenceInfo
from lccu.storage.base import StagedEvidence, StoredEvidence

if TYPE_CHECKING:
    from lccu.evidence.intake import PendingIntake


def retained(files: Sequence[tuple[str, StoredEvidence]]) -> list[dict[str, Any]]:
    """What is said of each object a refused intake left in the store."""
    return [
        {
            "name": name,
            "key": s.key,
            "storage_uri": s.uri,
            "storage_version_id": s.version_id,
            "size": s.size,
            **s.digests.hashes(),
            "lock_mode": s.lock_mode,
        }
        for name, s in files
    ]


def record_retained(
    pending: PendingIntake, files: Sequence[tuple[str, StoredEvidence]], cause: BaseException
) -> str:
    """Write the refused intake and the objects it left to the audit log and the custody
    chain (best effort: the store or database may be what failed); returns the sentence
    for the examiner's error message."""
    lab = pending.lab
    objects = retained(files)
    listing = ", ".join(f"{o['key']} (version {o['storage_version_id']})" for o in objects)
    why = f"{type(cause).__name__}: {cause}"[:1000]
    sentence = (
        f"refused intake of {pending.source_name!r}: {len(objects)} of its files "
        f"were already committed and are retained (lccu never deletes evidence; on "
        f"S3 they are under object lock): {listing}"
    )
    try:
        with lab.db.session() as session:
            case = lab._find_case(session, pending.case_id)
            lab.audit.write(
                lab.actor,
                "evidence.add",
                allowed=False,
                case=case,
                object_type="evidence",
                object_id=pending.item_id,
                detail={
                    "why": "refused intake: objects retained in the store",
                    "source_name": pending.source_name,
                    "cause": why,
                    "retained": objects,
                },
            )
            head = lab._append(
                session,
                case,
                "note",
                reason=sentence,
                details={
                    "refused_intake": pending.item_id,
                    "source_name": pending.source_name,
                    "cause": why,
                    "retained_objects": objects,
                    "not_evidence": True,
                },
            )
        lab._anchor(head)
    except Exception as exc:  # the examiner's message must still name them
        return (
            f"{sentence}; recording this in the audit log and custody FAILED ({exc}): "
            "tell the evidence officer"
        )
    return f"{sentence}; recorded in the audit log and the chain of custody"


def commit_all(
    pending: PendingIntake, staged: Sequence[StagedEvidence], names: Sequence[str]
) -> list[tuple[str, StoredEvidence]]:
    """Commit every staged file in order; if one fails, abort the rest and record what the
    ones before it left (see the module docstring), then raise."""
    committed: list[StoredEvidence] = []
    try:
        for stage in staged:
            committed.append(stage.commit())
    except BaseException as exc:
        for stage in staged[len(committed) :]:
            stage.abort()
        if committed:
            kept = list(zip(names, committed, strict=False))
            _raise_with(exc, record_retained(pending, kept, exc), pending.source_name, kept)
        raise
    return list(zip(names, committed, strict=True))


def record_or_report(
    pending: PendingIntake,
    files: Sequence[tuple[str, StoredEvidence]],
    record: Callable[[], EvidenceInfo],
) -> EvidenceInfo:
    """``record()`` (the item rows and intake event); if it fails, the committed files are
    recorded as retained by a refused intake, and the error says so."""
    try:
        return record()
    except BaseException as exc:
        _raise_with(exc, record_retained(pending, files, exc), pending.source_name, files)


def _raise_with(
    exc: BaseException, said: str, name: str, files: Sequence[tuple[str, StoredEvidence]]
) -> NoReturn:
    """``exc`` again (same kind, so the same exit code or HTTP status) with ``said``; its
    message key names the retained objects and keeps the cause's own key and facts, so the
    web says both in the page's language."""
    if isinstance(exc, LccuError):
        try:
            again = type(exc)(f"{exc}; {said}")
        except TypeError:  # a kind that needs more than a message
            again = StorageError(f"{exc}; {said}")
    else:
        again = StorageError(said)
    recorded = said.endswith("recorded in the audit log and the chain of custody")
    again.key = "intake_retained" if recorded else "intake_retained_unrecorded"
    again.audited = True  # the refused intake is audited above (or could not be): not twice
    if isinstance(exc, LccuError):  # another library's error may have its own .params
        cause = {"key": exc.key, "params": dict(exc.params), "text": str(exc)}
    else:
        cause = {"key": None, "params": {}, "text": str(exc)}
    again.params = {
        "reasons": [cause], "file": name, "count": len(files),
        "objects": ", ".join(f"{s.key} (version {s.version_id})" for _n, s in files),
    }  # fmt: skip
    raise again from exc
