"""Every dashboard route × role × own and other program.

Like the API's matrix (tests/test_access_matrix.py), this fails when a dashboard route
exists that the table below does not cover. Callers authenticate with API keys (the
dashboard accepts them as the API does); POSTs carry a valid CSRF token, so what is
tested is the access rule, not the CSRF check.
"""

from __future__ import annotations

from typing import Any

import pytest

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves

P = "/dashboard/programs/{program_id:int}"
W = P + "/waves/{wave_id:int}"
# public – anyone; self – any signed-in user; read – grantee, evaluator;
# write, pii – grantee; review – admin and a grantee of a program (translations are
# global; a user with no program may not even read them: see test_dashboard_review_signoff);
# session – any user signed in with their password: every key here gets 403
# (tests/dashboard/test_dashboard_password.py signs in).
POLICY: dict[tuple[str, str], str] = {
    ("GET", "/dashboard/login"): "public",
    ("POST", "/dashboard/login"): "public",
    ("POST", "/dashboard/logout"): "public",
    ("GET", "/dashboard"): "self",
    ("GET", "/dashboard/translations"): "self",
    ("GET", "/dashboard/account/password"): "session",
    ("POST", "/dashboard/account/password"): "session",
    ("POST", "/dashboard/translations"): "review",
    ("GET", P): "read",
    ("GET", P + "/report"): "read",
    ("POST", P + "/sites"): "write",
    ("GET", P + "/waves/new"): "write",
    ("POST", P + "/waves/new"): "write",
    ("GET", W): "read",
    ("GET", W + "/flyers"): "write",  # open links collect data: not for evaluators
    ("POST", W + "/flyers"): "write",
    ("GET", W + "/setup/{step:str}"): "write",
    ("POST", W + "/setup/{step:str}"): "write",
    ("POST", W + "/launch"): "write",
    ("POST", W + "/contacts"): "pii",
    ("GET", W + "/monitor"): "write",
    ("GET", W + "/monitor/chart.png"): "write",
    ("GET", W + "/monitor/live.json"): "write",
    ("POST", W + "/monitor/review/{message_id:int}"): "pii",
    ("GET", W + "/outreach"): "write",
    ("POST", W + "/outreach"): "write",
    ("POST", W + "/close"): "write",
    # Removing contacts' details: the people who hold the contact list.
    ("GET", P + "/contacts/remove"): "pii",
    ("POST", P + "/contacts/remove"): "pii",
    ("GET", W + "/contacts/purge"): "pii",
    ("POST", W + "/contacts/purge"): "pii",
}
ALLOWED = {
    "admin": {"self", "read", "write", "pii", "review"},
    "grantee": {"self", "read", "write", "pii", "review"},
    "evaluator": {"self", "read"},
}


def dashboard_routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if not route.path.startswith("/dashboard"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method not in ("HEAD", "OPTIONS"):
                    found.add((method, route.path))
    return found


def test_every_dashboard_route_has_a_policy(resources: Any) -> None:
    from survey.app import create_app

    routes = dashboard_routes(create_app(resources.settings, resources=resources))
    assert routes - set(POLICY) == set(), "add these routes to POLICY"
    assert set(POLICY) - routes == set(), "these POLICY rows name routes that do not exist"


async def _world(conn: Conn, resources: Any, actors: Any) -> dict[str, dict[str, int]]:
    world = {}
    for name, pid in actors.programs.items():
        site = await programs.create_site(conn, SYSTEM, pid, SiteIn(name="S"))
        wave = await waves.create_wave(
            conn,
            SYSTEM,
            resources,
            pid,
            WaveIn(
                name="W",
                phase="pre",
                questionnaire_id="pulse",
                sites=[WaveSiteIn(site_id=site.id, target_n=10)],
            ),
        )
        # No form field: a decision on any text id is refused or asked again.
        world[name] = {"program_id": pid, "wave_id": wave.id, "message_id": 1}
    return world


def _url(path: str, ids: dict[str, int]) -> str:
    for key, value in ids.items():
        path = path.replace(f"{{{key}:int}}", str(value))
    return path.replace("{step:str}", "sites")


def _expect(role: str, target: str, policy: str, path: str) -> Any:
    if policy == "public":
        return lambda s: s not in (403, 500)  # a failed sign-in is a 401 here
    if role == "anonymous":
        return lambda s: s == 401
    if policy == "session":
        return lambda s: s == 403  # an API key, whoever holds it
    if "{program_id" in path and target == "other" and role != "admin":
        return lambda s: s == 404
    if policy in ALLOWED[role]:
        return lambda s: s < 400 or s in (409, 422)
    return lambda s: s == 403


@pytest.mark.parametrize("role", ["anonymous", "admin", "grantee", "evaluator"])
@pytest.mark.parametrize("target", ["own", "other"])
async def test_dashboard_matrix(
    client: Any, actors: Any, conn: Conn, resources: Any, role: str, target: str
) -> None:
    from forms import form

    world = await _world(conn, resources, actors)
    login = await client.get("/dashboard/login", headers={"Accept": "text/html"})
    token = dict(form(login.text, "/dashboard/login")["fields"])["csrf"]
    headers = actors.headers(role) if role != "anonymous" else {}
    failures = []
    for (method, path), policy in sorted(POLICY.items()):
        if path == "/dashboard/logout":
            continue  # would end nothing (keys), and is public
        url = _url(path, world[target])
        if method == "POST":
            r = await client.post(
                url, data={"csrf": token}, headers=headers, follow_redirects=False
            )
        else:
            r = await client.get(url, headers=headers, follow_redirects=False)
        if not _expect(role, target, policy, path)(r.status_code):
            failures.append(f"{role} {target} {method} {path}: {r.status_code} {r.text[:100]}")
    assert failures == []


async def test_posts_without_the_csrf_token_are_refused(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    world = await _world(conn, resources, actors)
    await client.get("/dashboard/login")  # sets the CSRF cookie
    url = _url(P + "/waves/new", world["own"])
    r = await client.post(
        url,
        data={"name": "x", "phase": "pre", "questionnaire_id": "pulse"},
        headers=actors.headers("grantee"),
    )
    assert r.status_code == 403
