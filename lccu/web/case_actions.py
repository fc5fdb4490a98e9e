"""Case actions for the owning zone: share and revoke, close, record custody events, and
countersign a hand-over that names the user (as receiver, witness or releaser).

Forms on the case page (POST, CSRF, 303 back to the case with a notice) and the same
operations under /api/v1. Who may do what is the Lab's decision (and its audit entry); the
page only hides forms a user could not use, and this module checks input the Lab leaves open
(a required reason, an expiry in the future). The custody rules (who holds an item, where,
under which seal, nothing after disposal) are the library's: it refuses a breaking event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Body, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from lccu.errors import AlreadyExists, InvalidInput, LccuError, NotFound
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.keys import KeyLocked
from lccu.evidence.lab import Lab
from lccu.evidence.records import CaseInfo, EvidenceInfo
from lccu.evidence.terms import ACTIONS
from lccu.web.auth import Principal
from lccu.web.csrf import check_csrf
from lccu.web.deps import api_user, page_user, web
from lccu.web.messages import keyed_message, without_commands
from lccu.web.state import WebState
from lccu.web.strictjson import StrictJsonRoute

#: acquisition and intake (upload), processing, re-hash and export have their own paths
#: that record the facts (hashes, versions) those events carry; the rest a person records
SYSTEM_ACTIONS = frozenset({"acquired", "intake", "processed", "verified", "exported"})
MANUAL_ACTIONS = tuple(a for a in ACTIONS if a not in SYSTEM_ACTIONS)
PERMISSIONS = ("read", "contribute")
FLASH_COOKIE = "lccu_flash"
MAX_SHARE = timedelta(days=5 * 365)
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
MAX_SEQ = 2**31 - 1
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["case actions"], route_class=StrictJsonRoute)
PageUser = Annotated[Principal, Depends(page_user)]
ApiUser = Annotated[Principal, Depends(api_user)]
State = Annotated[WebState, Depends(web)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "not allowed (the refusal is in the audit log)"},
    404: {"description": "no such case, zone, share or evidence item"},
    422: {"description": "invalid input (missing reason, expiry in the past, ...)"},
}


# -- the operations, shared by forms and API -----------------------------------------------


def _required(value: str | None, what: str, key: str) -> str:
    if not value or not value.strip():
        raise InvalidInput(f"{what} is required", key=key)
    return value.strip()


def share(
    lab: Lab, ref: str, zone: str, *, permission: str, purpose: str, valid_until: datetime | None
) -> CaseInfo:
    """A share needs a purpose (it is the other zone's justification for reading)."""
    purpose = _required(purpose, "the purpose of the share", "required_purpose")
    if valid_until is not None:
        now = utc_now()
        if not now < valid_until <= now + MAX_SHARE:
            raise InvalidInput(
                "the expiry must be in the future and within five years", key="share_expiry"
            )
    return lab.share_case(
        ref,
        _required(zone, "the zone", "required_zone"),
        purpose=purpose,
        permission=permission,
        valid_until=valid_until,
    )


def revoke(lab: Lab, ref: str, zone: str, *, reason: str) -> CaseInfo:
    return lab.revoke_share(
        ref,
        _required(zone, "the zone", "required_zone"),
        reason=_required(reason, "the reason", "required_reason"),
    )


def close(lab: Lab, ref: str, *, reason: str) -> CaseInfo:
    return lab.close_case(ref, reason=_required(reason, "the reason", "required_reason"))


def record(
    lab: Lab,
    ref: str,
    action: str,
    *,
    evidence: str | None,
    location: str | None,
    reason: str,
    details: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """Append a hand-recorded custody event (the Lab checks access and custody rules)."""
    if action not in MANUAL_ACTIONS:
        raise InvalidInput(
            f"unknown action {action!r}; use one of {', '.join(MANUAL_ACTIONS)}",
            key="unknown_action",
            params={"action": action},
        )
    reason = _required(reason, "the reason", "required_reason")
    if occurred_at is not None and not EARLIEST <= occurred_at <= utc_now() + CLOCK_SKEW:
        raise InvalidInput(
            "the time of the event must be after 1990 and not in the future", key="event_time_range"
        )
    given = {k: v.strip() if isinstance(v, str) else v for k, v in (details or {}).items()}
    return lab.record_event(
        ref,
        action,
        evidence=(evidence or "").strip() or None,
        location=(location or "").strip() or None,
        reason=reason,
        occurred_at=occurred_at,
        details={k: v for k, v in given.items() if v not in (None, "")},
    )


def _end_of_day(text: str) -> datetime | None:
    """A form's ``YYYY-MM-DD``: the share stays valid through that day (UTC)."""
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(
            f"{text.strip()!r} is not a date (YYYY-MM-DD)",
            key="not_a_date",
            params={"text": text.strip()[:40]},
        ) from exc
    if day >= date.max:
        raise InvalidInput("the expiry must be within five years", key="share_expiry")
    return datetime.combine(day + timedelta(days=1), time(0), UTC)


def _occurred_at(text: str, offset: str) -> datetime | None:
    """A form's time of the event as an aware datetime. ``datetime-local`` carries no time
    zone, so the offset comes beside it (filled in by the browser, or typed) or inside the
    text; a time without one is refused, never guessed, because the log says when in UTC."""
    text, offset = text.strip(), offset.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            f"{text[:40]!r} is not a date and time (YYYY-MM-DDTHH:MM)",
            key="not_a_datetime",
            params={"text": text[:40]},
        ) from exc
    if value.tzinfo is not None:
        return value
    if not offset:
        raise InvalidInput(
            "the time of the event needs its time zone offset, e.g. +01:00 "
            "(winter) or +02:00 (summer) in Belgium",
            key="event_time_offset_needed",
        )
    if offset.upper() == "Z":
        return value.replace(tzinfo=UTC)
    found = _OFFSET.match(offset)
    if not found or int(found[2]) > 14 or int(found[3]) > 59:
        raise InvalidInput(
            f"{offset[:10]!r} is not a time zone offset (e.g. +01:00, -05:00, Z)",
            key="not_an_offset",
            params={"text": offset[:10]},
        )
    minutes = int(found[2]) * 60 + int(found[3])
    return value.replace(
        tzinfo=timezone(timedelta(minutes=-minutes if found[1] == "-" else minutes))
    )


# -- the case page: what it shows, and one-shot notices -----------------------------------


def _serializer(state: WebState) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(state.config.secret_key, salt="lccu-flash")


def _set_flash(
    response: Response,
    state: WebState,
    case_ref: str,
    kind: str,
    key: str,
    error: LccuError | None = None,
) -> None:
    """The outcome of a form, for the case page the browser is sent back to; signed so that
    nobody else can make the page show a message. A library error is kept as its message
    key and parameters (said in the language of the page that shows it) and its words
    without command-line instructions (for an error without a key)."""
    flash: dict[str, Any] = {"case": case_ref, "kind": kind, "key": key}
    if error is not None:
        flash["detail"] = without_commands(str(error))[:500]
        if error.key:
            flash["error"] = error.key
            flash["params"] = {
                name: value if isinstance(value, list) else str(value)[:200]
                for name, value in error.params.items()
            }
    value = _serializer(state).dumps(flash)
    response.set_cookie(
        FLASH_COOKIE,
        value,
        max_age=120,
        path="/cases",
        httponly=True,
        samesite="strict",
        secure=state.config.secure_cookies,
    )


def actions_view(
    request: Request,
    state: WebState,
    user: Principal,
    case: CaseInfo,
    items: list[EvidenceInfo],
    custody: Mapping[str, Any],
) -> dict[str, Any]:
    """Template context for the forms this user can use on ``case`` (``custody``: what
    :meth:`Lab.countersign_status` gave the page), and the notice left by the last form
    (shown once: :func:`clear_flash`)."""
    now = format_time(utc_now())
    active = [
        s
        for s in case.shares
        if s.revoked_at is None and (s.valid_until is None or s.valid_until > now)
    ]
    may = state.lab(user).case_abilities(case)  # the gate's rule, not a copy of it
    owner = may["owner"]
    flash = None
    cookie = request.cookies.get(FLASH_COOKIE)
    if cookie:
        try:
            data = _serializer(state).loads(cookie, max_age=120)
        except BadSignature:
            data = None
        if isinstance(data, dict) and data.get("case") in (case.id, case.number):
            flash = data
            if data.get("error"):
                shown = keyed_message(
                    str(data["error"]), dict(data.get("params") or {}), request.state.lang
                )
                flash["detail"] = shown or data.get("detail", "")
    zones = [z for z in state.lab(user).zones() if z != case.zone] if owner else []
    countersigned: dict[int, list[dict[str, Any]]] = {}
    to_countersign: dict[int, list[str]] = {}
    for signed in custody["countersignatures"]:
        countersigned.setdefault(signed["seq"], []).append(signed)
    if may["can_record"]:
        for waiting in custody["awaiting"]:
            to_countersign.setdefault(waiting["seq"], []).append(waiting["role"])
    return {
        "actions": {
            "countersigned": countersigned,
            "to_countersign": to_countersign,
            "key_locked": bool(to_countersign)
            and user.via == "session"
            and not state.key_unlocked(user),
            "owner": owner,
            "can_close": may["can_close"],
            "can_record": may["can_record"],
            "shares": active,
            "zones": zones,
            "custody_actions": MANUAL_ACTIONS,
            "permissions": PERMISSIONS,
            "evidence_items": items,
            "flash": flash,
        }
    }


def clear_flash(request: Request, response: Response) -> None:
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/cases")


# -- page forms ----------------------------------------------------------------------------

Csrf = Annotated[str, Form(max_length=200)]
Justification = Annotated[str, Form(max_length=500)]


class CaseForm:
    """What every form of the case page posts beside its own fields: the case (from the
    address), the CSRF token, and the justification the page was opened with (kept in the
    address the browser is sent back to)."""

    def __init__(
        self,
        ref: str,
        user: PageUser,
        state: State,
        csrf: Csrf = "",
        justification: Justification = "",
    ) -> None:
        self.ref, self.user, self.state = ref, user, state
        self.csrf, self.justification = csrf, justification

    def run(self, done: str, work: Callable[[Lab, str], object]) -> Response:
        """Run ``work`` and go back to the case page with a notice. Input errors are shown
        there; a refusal is a 403 page (the Lab has audited it)."""
        user, state, justification = self.user, self.state, self.justification
        check_csrf(user, self.csrf)
        ref = self.ref.strip()[:100]
        query = urlencode({"justification": justification.strip()}) if justification.strip() else ""
        response = RedirectResponse(
            f"/cases/{quote(ref, safe='')}" + (f"?{query}" if query else ""), status_code=303
        )
        try:
            work(state.lab(user), ref)
        except (InvalidInput, NotFound, AlreadyExists) as exc:
            _set_flash(response, state, ref, "bad", "action_failed", exc)
            return response
        except KeyLocked:  # refused and audited by the Lab; the page offers the unlock form
            _set_flash(response, state, ref, "bad", "key_locked")
            return response
        _set_flash(response, state, ref, "ok", done)
        return response


CaseFormFields = Annotated[CaseForm, Depends()]


@pages.post("/cases/{ref}/share")
def share_form(
    form: CaseFormFields,
    zone: Annotated[str, Form(max_length=100)] = "",
    permission: Annotated[str, Form(max_length=20)] = "read",
    purpose: Annotated[str, Form(max_length=300)] = "",
    valid_until: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    return form.run(
        "share_done",
        lambda lab, r: share(
            lab,
            r,
            zone,
            permission=permission,
            purpose=purpose,
            valid_until=_end_of_day(valid_until),
        ),
    )


@pages.post("/cases/{ref}/unshare")
def revoke_form(
    form: CaseFormFields,
    zone: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return form.run(
        "unshare_done",
        lambda lab, r: revoke(lab, r, zone, reason=reason),
    )


@pages.post("/cases/{ref}/close")
def close_form(
    form: CaseFormFields,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return form.run(
        "close_done",
        lambda lab, r: close(lab, r, reason=reason),
    )


@pages.post("/cases/{ref}/custody")
def custody_form(
    form: CaseFormFields,
    action: Annotated[str, Form(max_length=20)] = "",
    evidence: Annotated[str, Form(max_length=100)] = "",
    location: Annotated[str, Form(max_length=300)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    received_by: Annotated[str, Form(max_length=64)] = "",
    witness: Annotated[str, Form(max_length=200)] = "",
    seal_before: Annotated[str, Form(max_length=100)] = "",
    seal_after: Annotated[str, Form(max_length=100)] = "",
    released_by: Annotated[str, Form(max_length=64)] = "",
    from_location: Annotated[str, Form(max_length=300)] = "",
    to_location: Annotated[str, Form(max_length=300)] = "",
    occurred_at: Annotated[str, Form(max_length=40)] = "",
    occurred_offset: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    details = {
        "received_by": received_by,
        "witness": witness,
        "seal_before": seal_before,
        "seal_after": seal_after,
        "released_by": released_by,
        "from_location": from_location,
        "to_location": to_location,
    }
    return form.run(
        "custody_done",
        lambda lab, r: record(
            lab,
            r,
            action,
            evidence=evidence,
            location=location,
            reason=reason,
            details=details,
            occurred_at=_occurred_at(occurred_at, occurred_offset),
        ),
    )


@pages.post("/cases/{ref}/custody/{seq}/countersign")
def countersign_form(
    form: CaseFormFields,
    seq: Annotated[int, Path(ge=1, le=MAX_SEQ)],
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    return form.run(
        "countersign_done",
        lambda lab, r: lab.countersign(r, seq, role=role.strip() or None),
    )


# -- REST API ------------------------------------------------------------------------------


class NewShare(BaseModel):
    zone: str = Field(min_length=1, max_length=100, description="the zone to share with")
    permission: Literal["read", "contribute"] = Field(
        default="read", description="read, or contribute (may also add evidence and events)"
    )
    purpose: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ] = Field(description="why the zone needs the case; its users' reads are justified by it")
    valid_until: AwareDatetime | None = Field(
        default=None, description="expiry (with a time zone), at most five years ahead"
    )


class ShareRevocation(BaseModel):
    zone: str = Field(min_length=1, max_length=100)
    reason: Reason


class Closing(BaseModel):
    reason: Reason


class CustodyDetails(BaseModel):
    """Who handed over to whom, where from and to, and the seal as found and as left (see
    docs/custody.md); all optional, checked against the item's earlier events."""

    released_by: str | None = Field(
        default=None, max_length=64, description="username; default the caller"
    )
    received_by: str | None = Field(default=None, max_length=64, description="username")
    witness: str | None = Field(default=None, max_length=200)
    from_location: str | None = Field(default=None, max_length=300)
    to_location: str | None = Field(default=None, max_length=300)
    seal_before: str | None = Field(default=None, max_length=100)
    seal_after: str | None = Field(default=None, max_length=100)
    seal_intact: bool | None = None


class NewCustodyEvent(BaseModel):
    action: str = Field(
        max_length=30,
        json_schema_extra={"enum": list(MANUAL_ACTIONS)},
        description="what happened; intake, processing, re-hash and export "
        "are recorded by their own endpoints",
    )
    evidence: str | None = Field(
        default=None, max_length=100, description="evidence item id; none for the case itself"
    )
    location: str | None = Field(default=None, max_length=300)
    reason: Reason
    details: CustodyDetails = Field(default_factory=CustodyDetails)
    occurred_at: AwareDatetime | None = Field(
        default=None, description="when it happened, if earlier than now"
    )


class Countersigning(BaseModel):
    role: Literal["receiver", "witness", "releaser"] | None = Field(
        default=None,
        description="the role the event names you in; default: the one it names you in",
    )


@api.post("/cases/{ref}/shares", status_code=201, responses=ERRORS)
def api_share(ref: str, body: NewShare, user: ApiUser, state: State) -> dict[str, Any]:
    """Share a case with another zone (owning zone only); answers the case with its shares."""
    return share(
        state.lab(user),
        ref[:100],
        body.zone,
        permission=body.permission,
        purpose=body.purpose,
        valid_until=body.valid_until,
    ).as_dict()


@api.post("/cases/{ref}/shares/revoke", responses=ERRORS)
def api_revoke(ref: str, body: ShareRevocation, user: ApiUser, state: State) -> dict[str, Any]:
    """End a zone's access to a case (owning zone only); the reason goes into custody."""
    return revoke(state.lab(user), ref[:100], body.zone, reason=body.reason).as_dict()


@api.post("/cases/{ref}/close", responses=ERRORS)
def api_close(ref: str, body: Closing, user: ApiUser, state: State) -> dict[str, Any]:
    """Close a case (owning zone only): no evidence can be added afterwards."""
    return close(state.lab(user), ref[:100], reason=body.reason).as_dict()


@api.post("/cases/{ref}/custody", status_code=201, responses=ERRORS)
def api_record(ref: str, body: NewCustodyEvent, user: ApiUser, state: State) -> dict[str, Any]:
    """Record a custody event on the case or one of its items; answers the new head
    (``case_id``, ``seq``, ``event_hash``)."""
    return record(
        state.lab(user),
        ref[:100],
        body.action,
        evidence=body.evidence,
        location=body.location,
        reason=body.reason,
        details=body.details.model_dump(exclude_none=True),
        occurred_at=body.occurred_at,
    )


@api.post("/cases/{ref}/custody/{seq}/countersign", status_code=201, responses=ERRORS)
def api_countersign(
    ref: str,
    seq: Annotated[int, Path(ge=1, le=MAX_SEQ)],
    user: ApiUser,
    state: State,
    body: Annotated[Countersigning | None, Body()] = None,
) -> dict[str, Any]:
    """Countersign hand-over ``seq`` as the receiver, witness or releaser it names (with
    your own key, over the event's hash); answers the countersignature."""
    return state.lab(user).countersign(ref[:100], seq, role=body.role if body is not None else None)
