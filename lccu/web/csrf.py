"""The CSRF check of form posts, shared by the page modules (kept apart so that
:mod:`lccu.web.pages` and :mod:`lccu.web.case_actions` need not import each other)."""

from __future__ import annotations

from lccu.web.auth import Principal, csrf_matches


class CsrfFailed(Exception):
    """A form arrived without the token of the session it claims to come from."""


def check_csrf(user: Principal, token: str | None) -> None:
    """Refuse a form post whose token is not its session's."""
    if not csrf_matches(user, token):
        raise CsrfFailed()
