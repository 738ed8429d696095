"""Every dashboard POST refuses a missing, malformed or foreign CSRF token.

The routes come from the access matrix's POLICY, which fails when a dashboard route is
missing from it, so a new form route is covered here as soon as it exists. Callers are
the program's grantee (allowed to post everything), so a 403 here is the CSRF check.
"""

from __future__ import annotations

from typing import Any

from forms import form
from test_dashboard_access import POLICY, _url, _world

from survey.dashboard.context import PURPOSE
from survey.db import Conn
from survey.web import csrf

TABLES = ("sites", "waves", "contacts", "audit_log", "users", "sessions")


async def _counts(conn: Conn) -> dict[str, int]:
    return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def test_every_dashboard_post_needs_the_csrf_token(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    world = await _world(conn, resources, actors)
    login = await client.get("/dashboard/login", headers={"Accept": "text/html"})
    real = dict(form(login.text, "/dashboard/login")["fields"])["csrf"]
    # A well-made token, but for another browser's cookie.
    secret = resources.settings.secret_key
    foreign = csrf.issue(secret, "another-browser-cookie-value", PURPOSE)
    headers = {**actors.headers("grantee"), "Accept": "text/html"}
    posts = sorted(path for method, path in POLICY if method == "POST")
    before = await _counts(conn)
    failures = []
    # The real token with its last hex digit changed: "+ '00'" was the real token
    # itself whenever its MAC ended in 00 (1 run in 256; CI met one).
    altered = real[:-1] + ("1" if real[-1] == "0" else "0")
    for path in posts:
        url = _url(path, world["own"])
        for token in (None, "", "x.y", altered, real[:-1] + "é", foreign):
            data = {"name": "x", "email": "grantee@example.org", "password": "p"}
            if token is not None:
                data["csrf"] = token
            r = await client.post(url, data=data, headers=headers, follow_redirects=False)
            if r.status_code != 403:
                failures.append(f"{path} csrf={token!r}: {r.status_code}")
    assert failures == []
    assert await _counts(conn) == before
    # The cookie is SameSite and HttpOnly, and the session cookie SameSite=Strict,
    # so a cross-site page can neither read the token's binding nor ride a session.
    cookie = login.headers["set-cookie"].lower()
    assert "samesite=" in cookie and "httponly" in cookie
