"""Request dependencies: who is asking (cookie or bearer token) and CSRF for cookie users."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence

from fastapi import HTTPException, Request

from lccu.web.auth import Principal, csrf_matches
from lccu.web.state import WebState

SESSION_COOKIE = "lccu_session"
LOGIN_CSRF_COOKIE = "lccu_login_csrf"
LANG_COOKIE = "lccu_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: a script's token request that signs (custody, countersigning) unlocks the caller's key
#: with this header, for that request only: API tokens hold no key
KEY_PASSPHRASE_HEADER = "x-key-passphrase"


class LoginRequired(Exception):
    """A page needs a logged-in user: the handler redirects to the login page."""


def web(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def client_ip(request: Request) -> str:
    """The address the login limiter and the audit log use. ``X-Forwarded-For`` counts only
    when the direct peer is a trusted proxy; anyone else could write any address in it."""
    peer = request.client.host if request.client else "unknown"
    proxies = web(request).config.trusted_proxies
    if not proxies or not _trusted(_address(peer), proxies):
        return peer
    hops = [hop.strip() for line in request.headers.getlist("x-forwarded-for")
            for hop in line.split(",")]
    nearest = peer
    for hop in reversed(hops):  # right to left: each entry was written by the next hop
        address = _address(hop)
        if address is None:
            return nearest  # garbage: keep the last address a trusted proxy vouched for
        if not _trusted(address, proxies):
            return str(address)
        nearest = str(address)
    return nearest


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> IPAddress | None:
    """An IP address, IPv4-mapped IPv6 as IPv4; None for anything else."""
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1:text.index("]")]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress | None, proxies: Sequence[ipaddress.IPv4Network
                                                            | ipaddress.IPv6Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def identify(request: Request) -> Principal | None:
    state = web(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        principal = state.tokens.lookup(header[7:].strip())
        words = request.headers.get(KEY_PASSPHRASE_HEADER)
        if principal is not None and words:
            principal = dataclasses.replace(principal, key_passphrase=words[:1000])
        return principal
    return state.sessions.lookup(request.cookies.get(SESSION_COOKIE))


def api_user(request: Request) -> Principal:
    """The API caller; a cookie-authenticated change also needs the X-CSRF-Token header."""
    principal = identify(request)
    if principal is None:
        raise HTTPException(401, "authentication required (session cookie or bearer token)",
                            headers={"WWW-Authenticate": "Bearer"})
    if (principal.via == "session" and request.method not in SAFE_METHODS
            and not csrf_matches(principal, request.headers.get("x-csrf-token"))):
        raise HTTPException(403, "missing or wrong CSRF token (X-CSRF-Token header)")
    return principal


def page_user(request: Request) -> Principal:
    principal = identify(request)
    if principal is None or principal.via != "session":
        raise LoginRequired()
    return principal
