"""Failed sign-ins per client address, shared by the API and the dashboard login.

Passwords are chosen by people, so guessing them must stay slow: after
``SURVEY_LOGIN_FAILURE_LIMIT`` wrong passwords from one address in ``WINDOW`` seconds,
every sign-in from that address gets 429 with Retry-After until the window ends, right
password or not, so a guesser learns nothing more. Counted in process memory per worker,
like the survey's link limiters (N workers allow N times the limit, still a bound), and
keyed by a keyed hash of the address. A wrong current password given to change one's
own password (``change_password``) counts as a failed sign-in.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from survey.access import Principal
from survey.config import Settings
from survey.db import Conn
from survey.errors import RateLimited, Unauthorized
from survey.services import users
from survey.web.ratelimit import FixedWindowLimiter, client_key
from survey.web.visit import client_address

WINDOW = 600


def make_limiter(settings: Settings) -> FixedWindowLimiter:
    return FixedWindowLimiter(max(1, settings.login_failure_limit), WINDOW)


def _limited(request: Request[Any, Any, Any]) -> tuple[FixedWindowLimiter, bytes]:
    """This worker's limiter and the caller's key in it; 429 while over the limit."""
    limiter: FixedWindowLimiter = request.app.state.signin_limiter
    key = client_key(request.app.state.settings.secret_key, "signin\x00" + client_address(request))
    wait = limiter.retry_after(key)
    if wait is not None:
        raise RateLimited(wait)
    return limiter, key


async def login(
    request: Request[Any, Any, Any], conn: Conn, email: str, password: str
) -> tuple[str, Principal]:
    """``users.login``, refused with 429 while this address is over its failures."""
    limiter, key = _limited(request)
    try:
        return await users.login(conn, email, password)
    except Unauthorized:
        limiter.hit(key)
        raise


async def change_password(
    request: Request[Any, Any, Any],
    conn: Conn,
    who: Principal,
    session_id: str,
    current: str,
    new: str,
) -> None:
    """``users.change_own_password`` under the same limit: a wrong current password
    is a failed sign-in, so a stolen session cannot be used to guess the password."""
    limiter, key = _limited(request)
    try:
        await users.change_own_password(conn, who, session_id, current, new)
    except users.WrongPassword:
        limiter.hit(key)
        raise
