"""An open link's "Continue where you left off": a choice for this visit only.

The choice page (entry address, ``/all`` with answers, an idle question page) links to
its page with ``?resume=<token>``: a timed token bound to the browser's resume key.
A valid one marks the response active and redirects to the plain address, so the
browser's history never holds a link that opens someone's answers later; an old,
forged or bare ``?resume=1`` one shows the choice again.

``/all`` asks whenever there are answers, so its plain address, after a resume, shows
them once: a short-lived cookie, spent on that showing, carries the choice there.
"""

from __future__ import annotations

from urllib.parse import urlencode

from litestar.datastructures import Cookie

from survey.db import Conn
from survey.services import responses
from survey.web.visit import Visit

#: The query parameter of the choice page's "continue" links.
RESUME = "resume"
#: Seconds a "continue" link works after the choice page handed it out.
CHOICE_MAX_AGE = 10 * 60.0
#: The cookie that carries a resume on ``/all`` over its redirect, and its life.
ONE_PAGE_COOKIE = "survey_resumed"
ONE_PAGE_MAX_AGE = 60


def link(visit: Visit, path: str, **query: str) -> str:
    """``path`` (and ``query``) with a fresh "continue" token, for the choice page."""
    return f"{path}?{urlencode({**query, RESUME: visit.timed(RESUME)})}"


def asked(visit: Visit) -> str | None:
    """The "continue" token in this request's address, if any."""
    return visit.request.query_params.get(RESUME)


async def take(conn: Conn, visit: Visit) -> str | None:
    """Where to go after a "continue" link: the plain address (the response marked
    active), or None if its token is old or not this browser's (ask again)."""
    if not visit.timed_ok(RESUME, asked(visit), CHOICE_MAX_AGE):
        return None
    if visit.entry.response_id is not None and not visit.entry.complete:
        await responses.mark_resumed(conn, visit.entry, visit.locale)
    query = [(k, v) for k, v in visit.request.query_params.items() if k != RESUME]
    path = visit.request.url.path
    return f"{path}?{urlencode(query)}" if query else path


def carry_to_one_page(visit: Visit) -> None:
    """Let the next showing of ``/all`` (the redirect's) show the answers."""
    visit.cookies.append(Cookie(
        key=ONE_PAGE_COOKIE, value=visit.timed(ONE_PAGE_COOKIE), path=visit.link.base,
        max_age=ONE_PAGE_MAX_AGE, httponly=True, samesite="lax",
        secure=visit.settings.cookie_secure,
    ))


def carried_to_one_page(visit: Visit) -> bool:
    """Whether this showing of ``/all`` follows a resume; the cookie is spent either way."""
    token = visit.request.cookies.get(ONE_PAGE_COOKIE)
    if token is None:
        return False
    visit.cookies.append(Cookie(
        key=ONE_PAGE_COOKIE, value="", path=visit.link.base, max_age=0, httponly=True,
        samesite="lax", secure=visit.settings.cookie_secure,
    ))
    return visit.timed_ok(ONE_PAGE_COOKIE, token, ONE_PAGE_MAX_AGE)
