"""Every API route × every role × own and other program.

The table below is the access policy. The test fails when a route exists that the
table does not cover, so a new endpoint cannot ship without a decision here.
"""

from __future__ import annotations

from typing import Any

import pytest

from survey.db import Conn

# policy: who may call it on their own program.
#   admin  – administrators only;       self – any signed-in user (own data);
#   read   – grantee, evaluator;        write – grantee;  pii – grantee;
#   analysis – grantee, evaluator: a report's analysis settings (weighting margins:
#            population figures, nothing about a person);
#   public – anyone, no credentials;
#   session – any user signed in with their password (the session cookie); an API key,
#            which is what every role here calls with, gets 403 (tests/test_api_users_account.py);
#   signed – no credentials, but a valid X-Twilio-Signature (provider webhooks):
#            every unsigned request here is 403, whoever sends it.
POLICY: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/api/v1/questionnaires"): "self",
    ("GET", "/api/v1/me"): "self",
    ("POST", "/api/v1/me/password"): "session",
    ("GET", "/api/v1/keys"): "self",
    ("POST", "/api/v1/keys"): "self",
    ("DELETE", "/api/v1/keys/{key_id:int}"): "self",
    ("POST", "/api/v1/session"): "public",
    ("DELETE", "/api/v1/session"): "public",
    ("GET", "/api/v1/users"): "admin",
    ("POST", "/api/v1/users"): "admin",
    ("PUT", "/api/v1/users/{user_id:int}/programs"): "admin",
    ("PATCH", "/api/v1/users/{user_id:int}"): "admin",
    ("GET", "/api/v1/audit"): "admin",
    ("GET", "/api/v1/programs"): "self",
    ("POST", "/api/v1/programs"): "admin",
    ("GET", "/api/v1/programs/{program_id:int}"): "read",
    ("PATCH", "/api/v1/programs/{program_id:int}"): "write",
    ("DELETE", "/api/v1/programs/{program_id:int}"): "admin",
    ("GET", "/api/v1/programs/{program_id:int}/audit"): "write",
    ("GET", "/api/v1/programs/{program_id:int}/sites"): "read",
    ("POST", "/api/v1/programs/{program_id:int}/sites"): "write",
    ("GET", "/api/v1/programs/{program_id:int}/sites/{site_id:int}"): "read",
    ("PATCH", "/api/v1/programs/{program_id:int}/sites/{site_id:int}"): "write",
    ("DELETE", "/api/v1/programs/{program_id:int}/sites/{site_id:int}"): "write",
    ("GET", "/api/v1/programs/{program_id:int}/contacts"): "pii",
    ("POST", "/api/v1/programs/{program_id:int}/contacts"): "pii",
    # Removing personal details (a resident asked to be forgotten; a closed wave's):
    # the people who hold the contact list, never evaluators.
    ("DELETE", "/api/v1/programs/{program_id:int}/contacts/{contact_id:int}"): "pii",
    ("GET", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/contacts/purge"): "pii",
    ("POST", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/contacts/purge"): "pii",
    ("GET", "/api/v1/programs/{program_id:int}/waves"): "read",
    ("POST", "/api/v1/programs/{program_id:int}/waves"): "write",
    ("GET", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}"): "read",
    ("PATCH", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}"): "write",
    ("POST", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/launch"): "write",
    ("POST", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/close"): "write",
    ("GET", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/invitations"): "read",
    ("POST", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/invitations"): "write",
    (
        "GET",
        "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sites/{site_id:int}/open-link",
    ): "write",
    (
        "POST",
        "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sites/{site_id:int}/open-link",
    ): "write",
    (
        "GET",
        "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sites/{site_id:int}/qr.svg",
    ): "write",
    (
        "GET",
        "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sites/{site_id:int}/qr.png",
    ): "write",
    (
        "GET",
        "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sites/{site_id:int}/flyer",
    ): "write",
    # Dashboard data and downloads (survey/dashboard): live counts are for the people
    # running fieldwork; reports and de-identified exports for grantees and evaluators.
    ("GET", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/fieldwork"): "write",
    ("GET", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/export"): "read",
    ("GET", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/codebook"): "read",
    ("GET", "/api/v1/programs/{program_id:int}/report.html"): "read",
    ("GET", "/api/v1/programs/{program_id:int}/report.pdf"): "read",
    ("POST", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sms/send"): "pii",
    ("GET", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sms/estimate"): "write",
    ("GET", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sms/messages"): "write",
    ("GET", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sms/review"): "pii",
    (
        "POST",
        "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sms/review/{message_id:int}",
    ): "pii",
    ("POST", "/sms/inbound"): "signed",
    ("POST", "/sms/status"): "signed",
    ("GET", "/api/v1/programs/{program_id:int}/report"): "read",
    ("GET", "/api/v1/programs/{program_id:int}/report/margins"): "read",
    ("PUT", "/api/v1/programs/{program_id:int}/report/margins"): "analysis",
}

ALLOWED = {
    "admin": {"admin", "self", "read", "write", "pii", "public", "analysis"},
    "grantee": {"self", "read", "write", "pii", "public", "analysis"},
    "evaluator": {"self", "read", "public", "analysis"},
}


def api_routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        path = route.path_format if hasattr(route, "path_format") else route.path
        raw = getattr(route, "path", path)
        if raw.startswith("/static") or raw.startswith("/api/schema"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in getattr(handler, "http_methods", ()):
                if method in ("HEAD", "OPTIONS"):
                    continue
                found.add((method, raw))
    return found


def test_every_route_has_a_policy(resources: Any) -> None:
    from survey.app import create_app

    routes = {
        r
        for r in api_routes(create_app(resources.settings, resources=resources))
        if r[1].startswith(("/api/", "/healthz", "/readyz", "/sms/"))
    }
    assert routes - set(POLICY) == set(), "add these routes to POLICY"
    assert set(POLICY) - routes == set(), "these POLICY rows name routes that do not exist"


async def _world(client: Any, actors: Any, conn: Conn, role: str) -> dict[str, dict[str, int]]:
    """A site, a draft wave, a user and a key in each program, made by the admin."""
    h = actors.headers("admin")
    world: dict[str, dict[str, int]] = {}
    for name, pid in actors.programs.items():
        site = (
            await client.post(f"/api/v1/programs/{pid}/sites", json={"name": "S"}, headers=h)
        ).json()
        spare = (
            await client.post(f"/api/v1/programs/{pid}/sites", json={"name": "Spare"}, headers=h)
        ).json()
        wave = (
            await client.post(
                f"/api/v1/programs/{pid}/waves",
                json={
                    "name": "W",
                    "phase": "pre",
                    "questionnaire_id": "pulse",
                    "sites": [{"site_id": site["id"]}],
                },
                headers=h,
            )
        ).json()
        # Looking at an open link never makes one: the admin makes them first.
        r = await client.post(
            f"/api/v1/programs/{pid}/waves/{wave['id']}/sites/{site['id']}/open-link", headers=h
        )
        assert r.status_code == 201, r.text
        # A text the inbound webhook set aside for review (no body is kept).
        review = await conn.fetchval(
            "INSERT INTO sms_messages (program_id, direction, kind, wave_id, state)"
            " VALUES ($1, 'inbound', 'review', $2, 'received') RETURNING id", pid, wave["id"])
        # A contact to remove (DELETE .../contacts/{contact_id}).
        contact = await conn.fetchval(
            "INSERT INTO contacts (program_id, phone_e164, site_id) VALUES ($1, $2, $3)"
            " RETURNING id", pid, f"+1206555{pid % 10000:04d}", site["id"])
        world[name] = {
            "program_id": pid,
            "contact_id": contact,
            "site_id": site["id"],
            "spare_site": spare["id"],
            "wave_id": wave["id"],
            "message_id": review,
        }
    from survey.access import SYSTEM
    from survey.schemas import KeyIn
    from survey.services import users

    # Each caller gets a spare key to revoke; "other" names someone else's spare key.
    emails = {"own": None, "other": "other_evaluator@example.org"}
    for target, email in emails.items():
        if email is None:
            email = f"{role}@example.org" if role != "anonymous" else "admin@example.org"
        uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
        spare = await users.create_key(conn, SYSTEM, uid, KeyIn(name=f"spare-{target}"))
        world[target]["key_id"] = spare.info.id
        world[target]["user_id"] = uid
    return world


def _url(path: str, ids: dict[str, int], method: str) -> str:
    ids = dict(ids)
    if method == "DELETE" and "{site_id" in path:
        ids["site_id"] = ids["spare_site"]
    for key, value in ids.items():
        path = path.replace(f"{{{key}:int}}", str(value))
    return path


BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/keys"): {"name": "matrix"},
    ("POST", "/api/v1/session"): {"email": "nobody@example.org", "password": "x"},
    ("POST", "/api/v1/me/password"): {"current": "x", "new": "a new password here"},
    ("POST", "/api/v1/users"): {"email": "new@example.org", "role": "admin"},
    ("PUT", "/api/v1/users/{user_id:int}/programs"): [],
    # Enabling keeps the world as it is (the admin's own key included).
    ("PATCH", "/api/v1/users/{user_id:int}"): {"disabled": False},
    ("POST", "/api/v1/programs"): {"slug": "matrix-new", "name": "New"},
    ("PATCH", "/api/v1/programs/{program_id:int}"): {"name": "Renamed"},
    ("POST", "/api/v1/programs/{program_id:int}/sites"): {"name": "Matrix site"},
    ("PATCH", "/api/v1/programs/{program_id:int}/sites/{site_id:int}"): {"comparison": True},
    ("POST", "/api/v1/programs/{program_id:int}/contacts"): "phone\n2065550100\n",
    ("POST", "/api/v1/programs/{program_id:int}/waves"): {
        "name": "M",
        "phase": "post",
        "questionnaire_id": "pulse",
    },
    ("PATCH", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}"): {"name": "Renamed"},
    ("POST", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/invitations"): "SITE",
    ("POST", "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sms/send"): {
        "action": "invite"
    },
    (
        "POST",
        "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sms/review/{message_id:int}",
    ): {"decision": "keep"},
    ("PUT", "/api/v1/programs/{program_id:int}/report/margins"): (
        "site,variable,category,population\nS,age_band,18_24,100\n"
    ),
}


@pytest.mark.parametrize("role", ["anonymous", "admin", "grantee", "evaluator"])
@pytest.mark.parametrize("target", ["own", "other"])
async def test_matrix(client: Any, actors: Any, conn: Conn, role: str, target: str) -> None:
    world = await _world(client, actors, conn, role)
    ids = world[target]
    headers = actors.headers(role) if role != "anonymous" else {}
    failures = []
    for (method, path), policy in sorted(POLICY.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if method == "DELETE" and path == "/api/v1/programs/{program_id:int}":
            continue  # checked last: it would remove the world
        body = BODIES.get((method, path))
        if body == "SITE":
            body = {"site_id": ids["site_id"], "count": 1}
        kwargs: dict[str, Any] = {"headers": dict(headers)}
        if isinstance(body, str):
            kwargs["content"] = body
            kwargs["headers"]["content-type"] = "text/csv"
        elif body is not None:
            kwargs["json"] = body
        r = await client.request(method, _url(path, ids, method), **kwargs)
        expected = _expect(role, target, policy, path)
        if not expected(r.status_code):
            failures.append(f"{role} {target} {method} {path}: {r.status_code} {r.text[:120]}")
    assert failures == []


def _expect(role: str, target: str, policy: str, path: str) -> Any:
    program_scoped = "{program_id" in path
    if policy == "signed":
        return lambda s: s == 403
    if policy == "public":
        return lambda s: s not in (403, 500)
    if role == "anonymous":
        return lambda s: s == 401
    if policy == "session":
        return lambda s: s == 403  # an API key, whoever holds it
    if role == "admin":
        return lambda s: s < 400 or s in (409, 422)
    if policy == "admin":
        return lambda s: s == 403
    if program_scoped and target == "other":
        return lambda s: s == 404  # another program's resources are invisible
    if policy in ALLOWED[role]:
        if policy == "self" and "{key_id" in path and target == "other":
            return lambda s: s == 404
        return lambda s: s < 400 or s in (409, 422)
    return lambda s: s == 403


async def test_program_delete_is_admin_only(client: Any, actors: Any) -> None:
    pid = actors.programs["other"]
    for role, status in (("grantee", 403), ("evaluator", 403), ("other_grantee", 403)):
        r = await client.delete(f"/api/v1/programs/{pid}", headers=actors.headers(role))
        assert r.status_code == status, role
    assert (
        await client.delete(f"/api/v1/programs/{pid}", headers=actors.headers("admin"))
    ).status_code == 204
