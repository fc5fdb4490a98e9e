"""The source time zone of an evidence item: the zone its machine's clock was set to.

FAT, exFAT and ISO 9660 store local wall-clock times; turning them into instants needs this
zone. It is recorded in the item's custody log, not in a column: a ``note`` event with
``details.event == "source-timezone"`` at intake (``evidence add --timezone``) and at every
change (``evidence timezone``, reason required), so who set which zone, when and why is
signed and verifiable like every other handling. The item's zone is the latest such event;
without one, the settings' default for the item's police zone, then the unit's
(``LCCU_ZONE_SOURCE_TIMEZONES``, ``LCCU_SOURCE_TIMEZONE``); else unknown.

Only public :class:`~lccu.evidence.lab.Lab` calls are used, so every read and write goes
through the access checks and the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lccu.errors import InvalidInput
from lccu.fs.times import source_zone

EVENT = "source-timezone"


@dataclass(frozen=True)
class SourceTimezone:
    """The zone in force for an item and where it comes from: ``item`` (recorded in its
    custody log), ``zone default`` / ``unit default`` (settings) or ``unknown``."""

    zone: str | None
    origin: str


def zone_key(zone: str | None) -> str:
    """The IANA key of ``zone``; a clear error for none or an unknown one."""
    found = source_zone(zone) if zone else None
    if found is None:
        raise InvalidInput("give the source machine's IANA time zone, e.g. Europe/Brussels")
    return str(found.key)


def recorded_timezone(events: Iterable[Mapping[str, Any]], item_id: str) -> str | None:
    """The zone of the latest source-timezone event of ``item_id`` in a case's log."""
    zone = None
    for event in events:
        details = event.get("details") or {}
        if event.get("evidence_id") == item_id and details.get("event") == EVENT:
            zone = details.get("source_timezone")
    return zone


def item_timezone(lab: Any, evidence_ref: str) -> SourceTimezone:
    """The source time zone in force for an item (see the module's order)."""
    item = lab.get_evidence(evidence_ref)
    recorded = recorded_timezone(lab.custody_log(item.case_id), item.id)
    if recorded:
        return SourceTimezone(recorded, "item")
    case = lab.get_case(item.case_id)
    settings = lab.settings
    by_zone = dict(settings.zone_source_timezones)
    if case.zone in by_zone:
        return SourceTimezone(by_zone[case.zone], "zone default")
    if settings.source_timezone:
        return SourceTimezone(settings.source_timezone, "unit default")
    return SourceTimezone(None, "unknown")


def set_item_timezone(lab: Any, evidence_ref: str, zone: str, *, reason: str,
                      previous: str | None = None) -> dict[str, Any]:
    """Record ``zone`` as the item's source time zone with a signed custody note giving
    ``reason`` (and the zone it replaces); returns the new head."""
    name = zone_key(zone)
    if not reason or not reason.strip():
        raise InvalidInput("a source time zone is recorded with a reason (--reason): why this "
                           "zone, e.g. \"BIOS clock and Windows settings show Brussels time\"")
    item = lab.get_evidence(evidence_ref)
    details: dict[str, Any] = {"event": EVENT, "source_timezone": name}
    if previous:
        details["previous"] = previous
    return dict(lab.record_event(item.case_id, "note", evidence=item.id, reason=reason.strip(),
                                 details=details))


def change_item_timezone(lab: Any, evidence_ref: str, zone: str, *,
                         reason: str) -> dict[str, Any]:
    """Change an item's source time zone later: refused when it is already ``zone``."""
    current = item_timezone(lab, evidence_ref)
    name = zone_key(zone)
    if current.origin == "item" and current.zone == name:
        raise InvalidInput(f"the item's source time zone is already {name}")
    return set_item_timezone(lab, evidence_ref, name, reason=reason,
                             previous=current.zone if current.origin == "item" else None)
