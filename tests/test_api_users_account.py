"""Changing passwords and roles: a signed-in user changes their own password (proving
it with the current one, which counts as a sign-in attempt), an administrator sets
someone's password or role; each ends the right sessions and is in the audit log with
no secret in it."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from survey.api.deps import SESSION_COOKIE
from survey.config import Settings
from survey.db import Conn

PASSWORD = "correct horse battery"  # the evaluator's, the one actor with a password
NEW = "a much longer new secret"
EMAIL = "evaluator@example.org"
OWN = {"origin": "http://testserver.local"}  # a cookie write must come from our pages


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, login_failure_limit=3)


async def _sign_in(client: Any, password: str = PASSWORD) -> Any:
    r = await client.post("/api/v1/session", json={"email": EMAIL, "password": password})
    client.cookies.clear()  # each request below names the session it means
    return r


async def _session(client: Any, password: str = PASSWORD) -> str:
    r = await _sign_in(client, password)
    assert r.status_code == 200, r.text
    return str(r.cookies[SESSION_COOKIE])


async def _as(client: Any, session: str, method: str, path: str, **kwargs: Any) -> Any:
    client.cookies.set(SESSION_COOKIE, session)
    try:
        return await client.request(method, path, **kwargs)
    finally:
        client.cookies.clear()


async def _me(client: Any, session: str) -> int:
    return int((await _as(client, session, "GET", "/api/v1/me")).status_code)


async def _change(client: Any, session: str, current: str, new: str) -> Any:
    return await _as(
        client, session, "POST", "/api/v1/me/password",
        json={"current": current, "new": new}, headers=OWN,
    )


async def _audit(conn: Conn, action: str) -> list[tuple[str, int | None, dict[str, Any]]]:
    rows = await conn.fetch(
        "SELECT target, user_id, detail FROM audit_log WHERE action = $1 ORDER BY id", action
    )
    return [
        (r["target"], r["user_id"],
         json.loads(r["detail"]) if isinstance(r["detail"], str) else dict(r["detail"] or {}))
        for r in rows
    ]


async def test_own_password_change_ends_the_other_sessions(
    client: Any, actors: Any, conn: Conn
) -> None:
    uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", EMAIL)
    this, other = await _session(client), await _session(client)
    r = await _change(client, this, PASSWORD, NEW)
    assert r.status_code == 204, r.text
    assert await _me(client, this) == 200  # this session stays
    assert await _me(client, other) == 401  # the others end
    assert (await _sign_in(client)).status_code == 401
    assert (await _sign_in(client, NEW)).status_code == 200
    # The API key is not a session: it carries on.
    r = await client.get("/api/v1/me", headers=actors.headers("evaluator"))
    assert r.status_code == 200
    assert await _audit(conn, "user.password") == [(str(uid), uid, {})]
    logged = await conn.fetchval("SELECT string_agg(detail::text, ' ') FROM audit_log")
    assert NEW not in (logged or "") and PASSWORD not in (logged or "")


async def test_wrong_current_password_counts_as_a_failed_sign_in(
    client: Any, actors: Any, conn: Conn
) -> None:
    session = await _session(client)
    other = await _session(client)
    statuses = []
    for _ in range(3):
        r = await _change(client, session, "not the password", NEW)
        statuses.append(r.status_code)
    assert statuses == [422, 422, 422]
    assert r.json()["extra"][0]["field"] == "current", r.text
    # Over the limit: even the right password is refused now, here and at sign-in.
    blocked = await _change(client, session, PASSWORD, NEW)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert (await _sign_in(client)).status_code == 429
    assert await _me(client, other) == 200  # nothing changed
    assert await _audit(conn, "user.password") == []


async def test_short_new_password_and_api_keys_are_refused(
    client: Any, actors: Any, conn: Conn
) -> None:
    session = await _session(client)
    r = await _change(client, session, PASSWORD, "short")
    # Refused by the body's schema, as a short password for a new user is (400).
    assert r.status_code == 400 and r.json()["extra"][0]["field"] == "new", r.text
    for role in ("admin", "grantee", "evaluator"):
        r = await client.post(
            "/api/v1/me/password", json={"current": PASSWORD, "new": NEW},
            headers=actors.headers(role),
        )
        assert r.status_code == 403, (role, r.text)
    r = await client.post("/api/v1/me/password", json={"current": PASSWORD, "new": NEW})
    assert r.status_code == 401
    assert (await _sign_in(client)).status_code == 200  # still the old password
    assert await _audit(conn, "user.password") == []


async def test_admin_sets_a_password_and_every_session_ends(
    client: Any, actors: Any, conn: Conn
) -> None:
    uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", EMAIL)
    admin_id = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@example.org'")
    sessions = [await _session(client), await _session(client)]
    for role in ("grantee", "evaluator"):
        r = await client.patch(
            f"/api/v1/users/{uid}", json={"password": NEW}, headers=actors.headers(role)
        )
        assert r.status_code == 403, role
    admin = actors.headers("admin")
    r = await client.patch(f"/api/v1/users/{uid}", json={"password": "short"}, headers=admin)
    assert r.status_code == 400 and r.json()["extra"][0]["field"] == "password", r.text
    assert [await _me(client, s) for s in sessions] == [200, 200]
    r = await client.patch(f"/api/v1/users/{uid}", json={"password": NEW}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "evaluator" and r.json()["disabled"] is False
    assert [await _me(client, s) for s in sessions] == [401, 401]
    assert (await _sign_in(client)).status_code == 401
    assert (await _sign_in(client, NEW)).status_code == 200
    assert await _audit(conn, "user.password") == [(str(uid), admin_id, {})]
    r = await client.patch("/api/v1/users/999999", json={"password": NEW}, headers=admin)
    assert r.status_code == 404


async def test_admin_changes_a_role(client: Any, actors: Any, conn: Conn) -> None:
    uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", EMAIL)
    admin_id = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@example.org'")
    session = await _session(client)
    for role in ("grantee", "evaluator"):
        r = await client.patch(
            f"/api/v1/users/{uid}", json={"role": "admin"}, headers=actors.headers(role)
        )
        assert r.status_code == 403, role
    admin = actors.headers("admin")
    r = await client.patch(f"/api/v1/users/{uid}", json={"role": "grantee"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "grantee" and r.json()["keys_revoked"] == 1
    assert await _me(client, session) == 401  # their rights changed: sign in again
    # Their key is revoked: it was handed out for what an evaluator may read.
    me = await client.get("/api/v1/me", headers=actors.headers("evaluator"))
    assert me.status_code == 401
    again = await _session(client)
    assert (await _as(client, again, "GET", "/api/v1/me")).json()["role"] == "grantee"
    # The same role again changes nothing: no session ends, nothing is logged.
    r = await client.patch(f"/api/v1/users/{uid}", json={"role": "grantee"}, headers=admin)
    assert r.status_code == 200 and await _me(client, again) == 200
    assert await _audit(conn, "user.role") == [
        (str(uid), admin_id, {"role": "grantee", "previous": "evaluator"})
    ]
    r = await client.patch(f"/api/v1/users/{uid}", json={"role": "owner"}, headers=admin)
    assert r.status_code == 400 and r.json()["extra"][0]["field"] == "role", r.text
    for body in ({}, {"role": None}):  # nothing to change
        r = await client.patch(f"/api/v1/users/{uid}", json=body, headers=admin)
        assert r.status_code == 422 and r.json()["extra"][0]["field"] == "user", r.text
    r = await client.patch("/api/v1/users/999999", json={"role": "admin"}, headers=admin)
    assert r.status_code == 404


async def test_admin_cannot_demote_themselves(client: Any, actors: Any, conn: Conn) -> None:
    admin_id = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@example.org'")
    admin = actors.headers("admin")
    for body in ({"role": "evaluator"}, {"role": "grantee", "disabled": False}):
        r = await client.patch(f"/api/v1/users/{admin_id}", json=body, headers=admin)
        assert r.status_code == 422, body
        assert r.json()["extra"][0]["field"] == "role"
    assert await conn.fetchval("SELECT role FROM users WHERE id = $1", admin_id) == "admin"
    # Staying an administrator is no change at all.
    r = await client.patch(f"/api/v1/users/{admin_id}", json={"role": "admin"}, headers=admin)
    assert r.status_code == 200 and r.json()["role"] == "admin"
    assert await _audit(conn, "user.role") == []


async def test_one_patch_checks_everything_before_changing_anything(
    client: Any, actors: Any, conn: Conn
) -> None:
    uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", EMAIL)
    admin = actors.headers("admin")
    r = await client.patch(
        f"/api/v1/users/{uid}", json={"role": "grantee", "password": "short"}, headers=admin
    )
    assert r.status_code == 400
    assert await conn.fetchval("SELECT role FROM users WHERE id = $1", uid) == "evaluator"
    r = await client.patch(
        f"/api/v1/users/{uid}",
        json={"role": "grantee", "password": NEW, "disabled": True},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["role"], r.json()["disabled"]) == ("grantee", True)
    assert (await _sign_in(client, NEW)).status_code == 401  # disabled


async def test_cli_sets_a_password_and_a_role(
    client: Any, actors: Any, conn: Conn, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io

    import anyio.to_thread

    from survey.cli import main

    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", EMAIL)
    session = await _session(client)

    async def cli(args: list[str], stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return int(await anyio.to_thread.run_sync(main, args))

    # Too short: refused before the database starts, nothing changed.
    assert await cli(["user", "password", EMAIL, "--password-stdin"], "short\n") == 1
    assert "12 characters" in capsys.readouterr().err
    assert await cli(["user", "password", "nobody@example.org", "--password-stdin"], NEW) == 1
    assert await _me(client, session) == 200
    assert await cli(["user", "password", EMAIL, "--password-stdin"], NEW + "\n") == 0
    out = capsys.readouterr().out
    assert "sessions ended" in out and NEW not in out
    assert await _me(client, session) == 401
    assert (await _sign_in(client, NEW)).status_code == 200
    session = await _session(client, NEW)

    assert await cli(["user", "role", EMAIL, "grantee"]) == 0
    assert await _me(client, session) == 401
    assert await conn.fetchval("SELECT role FROM users WHERE id = $1", uid) == "grantee"
    assert await cli(["users", "role", EMAIL, "grantee"]) == 0
    assert "already grantee" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # argparse: not a role
        await cli(["user", "role", EMAIL, "owner"])
    assert await cli(["user", "role", "nobody@example.org", "admin"]) == 1
    assert [(a, t) for a, t, *_ in await conn.fetch(
        "SELECT action, target FROM audit_log WHERE action IN ('user.password', 'user.role')"
        " ORDER BY id"
    )] == [("user.password", str(uid)), ("user.role", str(uid))]
