"""The custody rules that a well-formed hash chain does not prove by itself.

A chain whose hashes and signatures all check can still tell an impossible story: an item
handed over by someone who did not hold it, in two places at once, under a seal that changed
without anybody breaking it, or handled after it was destroyed. This module walks a case's
events in order, derives for every item its current custodian, location and seal, and says
in plain words at which event the story stops holding together.

Nothing here is stored: custodian, location and seal are *derived* from the events, every
time, by the same code for the database, an export file and a new event about to be
recorded (:func:`check_new_event`, which the library calls before appending, so that
violations can only come from history written around lccu).

This module is pure (no database, no files), like :mod:`lccu.evidence.chain`.

The fields an event's ``details`` may carry (see docs/custody.md):

- ``released_by``, ``received_by``: usernames; on ``transferred``, ``checked_out`` and
  ``checked_in`` (and, when given, on ``returned``/``destroyed``). ``released_by`` absent
  means the actor released the item; ``received_by`` absent means custody stays with the
  releaser (a move by the custodian, e.g. into a locker).
- ``witness``: optional username or name of a person present at a hand-over.
- ``from_location``, ``to_location``: where the item left and where it went; without
  ``to_location`` the event's ``location`` is the destination.
- ``seal_before``, ``seal_after``: seal numbers as found and as left; ``seal_intact``: true
  when the seal was found intact, false when found broken (which records a seal break).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

INTAKE_ACTIONS = frozenset({"intake", "acquired"})
MOVEMENT_ACTIONS = frozenset({"transferred", "checked_out", "checked_in"})
SEAL_BREAK = "seal_broken"
RESEAL = "resealed"
SEAL_ACTIONS = frozenset({SEAL_BREAK, RESEAL})
DISPOSAL_ACTIONS = frozenset({"returned", "destroyed"})
AFTER_DISPOSAL_ALLOWED = frozenset({"accessed", "note", "exported"})

PARTY_FIELDS = ("released_by", "received_by", "witness")
PLACE_FIELDS = ("from_location", "to_location")
SEAL_FIELDS = ("seal_before", "seal_after")
TRANSFER_FIELDS = (*PARTY_FIELDS, *PLACE_FIELDS, *SEAL_FIELDS, "seal_intact")



class Report(Protocol):
    """Records one violation: its rule, its English reason and, for a reader of another
    language, a message key (``err_<key>`` of the web's dictionary) and its facts."""

    def __call__(self, rule: str, reason: str, key: str | None = None,
                 **params: object) -> None: ...


_ACTION_WORDS = {
    "transferred": "transfer",
    "checked_out": "check-out",
    "checked_in": "check-in",
    "seal_broken": "seal break",
    "resealed": "reseal",
}


@dataclass(frozen=True)
class Violation:
    """One broken custody rule: at which event, about which item, what is wrong."""

    seq: int | None
    evidence_id: str | None
    rule: str  # "custodian", "location", "seal", "disposal" or "record"
    reason: str
    #: the reason's message key and facts (the web says it in the page's language)
    key: str | None = field(default=None, compare=False)
    params: dict[str, object] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        where = f"event {self.seq}" if self.seq is not None else "log"
        return f"{where}: {self.reason}"


@dataclass
class ItemState:
    """What the events say about one item up to some point: who holds it, where, sealed how."""

    evidence_id: str
    label: str
    #: the exhibit number, or the first characters of the item's id (``label`` without
    #: its English word, for a message in another language)
    ref: str = ""
    custodian: str | None = None
    custodian_since: int | None = None
    location: str | None = None
    location_since: int | None = None
    seal: str | None = None
    seal_since: int | None = None
    seal_broken_at: int | None = None
    disposed: str | None = None
    disposed_at: int | None = None


def _same(a: str, b: str) -> bool:
    """Free-text places and seal numbers compare without case or extra white space."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _since(seq: int | None) -> str:
    return f" (since event {seq})" if seq is not None else ""


def _seq(seq: int | None) -> object:
    return seq if seq is not None else "?"


class CustodyState:
    """The derived state of every item of one case; :meth:`apply` one event at a time."""

    def __init__(self) -> None:
        self.items: dict[str, ItemState] = {}

    @classmethod
    def from_events(cls, events: Iterable[Mapping[str, Any]]) -> CustodyState:
        state = cls()
        for event in events:
            state.apply(event)
        return state

    def apply(self, event: Mapping[str, Any]) -> list[Violation]:
        """Check ``event`` against the state so far, then advance the state past it.

        The state follows what the event records even when it breaks a rule, so that one
        bad event is reported once rather than at every event after it."""
        item_id = event.get("evidence_id")
        if not item_id:
            return []
        raw_seq = event.get("seq")
        seq = raw_seq if isinstance(raw_seq, int) else None
        action = str(event.get("action"))
        actor = str(event.get("actor"))
        raw_details = event.get("details")
        details: Mapping[str, Any] = raw_details if isinstance(raw_details, Mapping) else {}
        item = self.items.get(str(item_id))
        if item is None:
            label = details.get("exhibit_number") if action in INTAKE_ACTIONS else None
            ref = label if isinstance(label, str) and label else str(item_id)[:8]
            item = ItemState(str(item_id),
                             f"exhibit {label}" if isinstance(label, str) and label
                             else f"item {str(item_id)[:8]}", ref)
            self.items[item.evidence_id] = item
        found: list[Violation] = []

        def report(rule: str, reason: str, key: str | None = None, **params: object) -> None:
            found.append(Violation(seq, item.evidence_id, rule, reason, key,
                                   {"item": item.ref, **params}))

        fields = _field_values(details, report)
        if item.disposed is not None and action not in AFTER_DISPOSAL_ALLOWED:
            report("disposal", f"'{action}' on {item.label} after it was {item.disposed} at "
                               f"event {item.disposed_at}: after a return or destruction only "
                               "views, notes and exports may follow",
                   key="custody_rule_after_disposal", custody_action=action,
                   disposal=item.disposed, at=item.disposed_at)
        if action in INTAKE_ACTIONS and item.custodian is None:
            item.custodian, item.custodian_since = actor, seq
            location = event.get("location")
            if isinstance(location, str) and location.strip():
                item.location, item.location_since = location, seq
            seal = details.get("seal_number") or fields.get("seal_after")
            if isinstance(seal, str) and seal.strip():
                item.seal, item.seal_since = seal, seq
            return found
        self._custody(item, action, actor, seq, fields, report)
        self._place(item, action, seq, event.get("location"), fields, report)
        self._seal(item, action, seq, fields, report)
        if action in DISPOSAL_ACTIONS and item.disposed is None:
            item.disposed, item.disposed_at = action, seq
        return found

    @staticmethod
    def _custody(item: ItemState, action: str, actor: str, seq: int | None,
                 fields: Mapping[str, Any], report: Report) -> None:
        if not (action in MOVEMENT_ACTIONS
                or (action in DISPOSAL_ACTIONS and fields.get("released_by"))):
            return
        releaser = fields.get("released_by") or actor
        word = _ACTION_WORDS.get(action, action)
        if item.custodian is None:
            report("custodian", f"{word} of {item.label} by {releaser}, but no intake of the "
                                "item comes before it: nobody had custody to hand over",
                   key="custody_rule_no_intake", custody_action=action, releaser=releaser)
        elif releaser != item.custodian:
            report("custodian", f"{item.label} was released by {releaser}, but its custodian "
                                f"at that moment was {item.custodian}"
                                f"{_since(item.custodian_since)}",
                   key="custody_rule_not_custodian", releaser=releaser,
                   custodian=item.custodian, since=_seq(item.custodian_since))
        receiver = fields.get("received_by")
        if receiver:
            item.custodian, item.custodian_since = receiver, seq
        elif item.custodian is None:
            item.custodian, item.custodian_since = releaser, seq

    @staticmethod
    def _place(item: ItemState, action: str, seq: int | None, location: Any,
               fields: Mapping[str, Any], report: Report) -> None:
        here = location if isinstance(location, str) and location.strip() else None
        if action in MOVEMENT_ACTIONS or action in DISPOSAL_ACTIONS:
            origin = fields.get("from_location")
            if origin and item.location is not None and not _same(origin, item.location):
                report("location", f"{item.label} left from '{origin}', but it was at "
                                   f"'{item.location}'{_since(item.location_since)}: an item "
                                   "is in one place at a time",
                       key="custody_rule_left_from", origin=origin, place=item.location,
                       since=_seq(item.location_since))
            target = fields.get("to_location") or here
            if target:
                item.location, item.location_since = target, seq
            return
        if here is None:
            return
        if item.location is not None and not _same(here, item.location):
            report("location", f"{item.label} is recorded at '{here}', but it was at "
                               f"'{item.location}'{_since(item.location_since)} and no "
                               "transfer, check-out or check-in moved it: an item is in one "
                               "place at a time",
                   key="custody_rule_not_moved", here=here, place=item.location,
                   since=_seq(item.location_since))
        item.location, item.location_since = here, seq

    @staticmethod
    def _seal(item: ItemState, action: str, seq: int | None, fields: Mapping[str, Any],
              report: Report) -> None:
        before = item.seal
        claimed = fields.get("seal_before")
        if claimed:
            if before is None and item.seal_broken_at is not None:
                report("seal", f"the seal of {item.label} is recorded as {claimed} before this "
                               f"event, but the seal was broken at event "
                               f"{item.seal_broken_at} and no reseal was recorded since",
                       key="custody_rule_seal_was_broken", seal=claimed,
                       at=item.seal_broken_at)
            elif before is None:
                report("seal", f"the seal of {item.label} is recorded as {claimed} before this "
                               "event, but no seal was ever recorded on it",
                       key="custody_rule_never_sealed", seal=claimed)
            elif not _same(claimed, before):
                report("seal", f"the seal of {item.label} is recorded as {claimed} before this "
                               f"event, but the seal after the previous event was {before}"
                               f"{_since(item.seal_since)} and no seal break was recorded",
                       key="custody_rule_other_seal", seal=claimed, before=before,
                       since=_seq(item.seal_since))
            before = claimed
        intact = fields.get("seal_intact")
        breaks = action == SEAL_BREAK or intact is False
        if before is None and (intact is True or action == SEAL_BREAK):
            what = "a seal break is recorded" if action == SEAL_BREAK else \
                "the seal is recorded as intact"
            report("seal", f"{what} on {item.label}, but it carried no seal at that moment"
                           + (f" (broken at event {item.seal_broken_at}, not resealed)"
                              if item.seal_broken_at is not None else ""),
                   key="custody_rule_no_seal_to_break" if action == SEAL_BREAK
                   else "custody_rule_no_seal_intact")
        after = fields.get("seal_after")
        if action == RESEAL:
            if not after:
                report("seal", f"the reseal of {item.label} does not record the new seal "
                               "number (seal_after)", key="custody_rule_reseal_number")
                return
            if before is not None:
                report("seal", f"{item.label} was resealed with {after} while seal {before}"
                               f"{_since(item.seal_since)} was intact: no seal break was "
                               "recorded",
                       key="custody_rule_reseal_intact", seal=after, before=before,
                       since=_seq(item.seal_since))
            item.seal, item.seal_since, item.seal_broken_at = after, seq, None
        elif breaks:
            if after:
                report("seal", f"a seal break on {item.label} leaves it unsealed, yet this event "
                               f"records seal {after} after it: a new seal is recorded by a "
                               "reseal event",
                       key="custody_rule_break_with_seal", seal=after)
            item.seal, item.seal_since, item.seal_broken_at = None, seq, seq
        elif after:
            if before is None or not _same(after, before):
                was = f"seal {before}" if before is not None else "no seal"
                report("seal", f"{item.label} went from {was} to seal {after} during this "
                               f"'{action}' event without a recorded seal break and reseal",
                       key="custody_rule_seal_changed", before=before or "-", seal=after,
                       custody_action=action)
                item.seal_since = seq
            item.seal, item.seal_broken_at = after, None
        elif claimed and before != item.seal:
            item.seal, item.seal_since, item.seal_broken_at = before, seq, None


def _field_values(details: Mapping[str, Any], report: Report) -> dict[str, Any]:
    """The transfer and seal fields of ``details``, wrong types reported and dropped."""
    values: dict[str, Any] = {}
    for name in TRANSFER_FIELDS:
        if name not in details or details[name] is None:
            continue
        value = details[name]
        if name == "seal_intact":
            if isinstance(value, bool):
                values[name] = value
            else:
                report("record", f"seal_intact must be true or false, not {value!r}",
                       key="custody_rule_seal_intact_value", value=repr(value))
        elif isinstance(value, str) and value.strip():
            values[name] = value.strip()
        else:
            report("record", f"{name} must be a non-empty text, not {value!r}",
                   key="custody_rule_field_text", field=name, value=repr(value))
    return values


def check_invariants(events: Iterable[Mapping[str, Any]]) -> list[Violation]:
    """Every custody-rule violation in a case's events, in the order given."""
    state = CustodyState()
    found: list[Violation] = []
    for event in events:
        found.extend(state.apply(event))
    return found


def derive_items(events: Iterable[Mapping[str, Any]]) -> dict[str, ItemState]:
    """Current custodian, location and seal of every item, derived from the events."""
    return CustodyState.from_events(events).items


def complete_new_event(action: str, actor: str, location: str | None,
                       details: Mapping[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    """Fill what a new hand-over leaves implicit: the releaser (the actor) and the
    destination in both ``location`` and ``details["to_location"]``."""
    filled = dict(details or {})
    if action in MOVEMENT_ACTIONS:
        if filled.get("released_by") is None:
            filled["released_by"] = actor
        target = filled.get("to_location")
        if target is None and location is not None:
            filled["to_location"] = location
        elif location is None and isinstance(target, str):
            location = target
    return location, filled


def check_new_event(history: Iterable[Mapping[str, Any]],
                    event: Mapping[str, Any]) -> list[str]:
    """Why ``event`` may not be appended after ``history`` (the same item's earlier events),
    in plain words; empty when it may. Stricter than :func:`check_invariants`, which must
    also read old logs: a new hand-over or seal event must concern an item and say coherent
    things about who and where."""
    return [reason.reason for reason in new_event_reasons(history, event)]


def new_event_reasons(history: Iterable[Mapping[str, Any]],
                      event: Mapping[str, Any]) -> list[Violation]:
    """:func:`check_new_event`'s reasons with their message keys and facts."""
    action = str(event.get("action"))
    raw = event.get("details")
    details: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    word = _ACTION_WORDS.get(action, action)
    reasons: list[Violation] = []
    seq = event.get("seq") if isinstance(event.get("seq"), int) else None
    item_id = str(event.get("evidence_id") or "") or None

    def reason(text: str, key: str, **params: object) -> None:
        reasons.append(Violation(seq, item_id, "record", text, key, params))

    given = [name for name in TRANSFER_FIELDS if details.get(name) is not None]
    if not event.get("evidence_id"):
        if action in MOVEMENT_ACTIONS or action in SEAL_ACTIONS:
            reason(f"a {word} concerns one evidence item: name the item",
                   key="custody_rule_name_item", custody_action=action)
        elif given:
            reason(f"{', '.join(given)} describe(s) an evidence item: name the item",
                   key="custody_rule_fields_need_item", fields=", ".join(given))
        return reasons
    parties = [name for name in PARTY_FIELDS if details.get(name) is not None]
    if parties and action not in MOVEMENT_ACTIONS and action not in DISPOSAL_ACTIONS:
        reason(f"{', '.join(parties)} belong(s) to a transfer, check-out, check-in, "
               f"return or destruction, not to a '{action}' event",
               key="custody_rule_parties_not_here", fields=", ".join(parties),
               custody_action=action)
    released, received = details.get("released_by"), details.get("received_by")
    if received is not None and received == released:
        reason(f"{received} cannot hand an item over to themselves; leave out "
               "received_by to record a move by the custodian",
               key="custody_rule_to_themselves", user=received)
    witness = details.get("witness")
    if witness is not None and witness in (released, received):
        reason(f"the witness {witness} is a party to the hand-over, not a witness",
               key="custody_rule_witness_party", user=witness)
    location, target = event.get("location"), details.get("to_location")
    if (isinstance(location, str) and isinstance(target, str)
            and not _same(location, target)):
        reason(f"location '{location}' and to_location '{target}' differ",
               key="custody_rule_locations_differ", place=location, target=target)
    state = CustodyState.from_events(history)
    reasons += state.apply(event)
    return reasons
