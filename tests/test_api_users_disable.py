"""Disabling a staff account: its sessions and keys stop at once, sign-in fails, and
enabling it again lets the person back in; every change is in the admin's audit."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pytest

from survey.api.deps import SESSION_COOKIE
from survey.db import Conn

PASSWORD = "correct horse battery"  # the evaluator's, the one actor with a password
EMAIL = "evaluator@example.org"


async def _sign_in(client: Any, password: str = PASSWORD) -> Any:
    r = await client.post("/api/v1/session", json={"email": EMAIL, "password": password})
    client.cookies.clear()  # each request below names the session it means
    return r


async def _me(client: Any, *, session: str | None = None, key: str | None = None) -> int:
    if session is not None:
        client.cookies.set(SESSION_COOKIE, session)
        r = await client.get("/api/v1/me")
    else:
        r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    client.cookies.clear()
    return int(r.status_code)


async def test_disable_stops_sessions_keys_and_sign_in(
    client: Any, actors: Any, conn: Conn
) -> None:
    admin = actors.headers("admin")
    uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", EMAIL)
    admin_id = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@example.org'")
    signed = await _sign_in(client)
    assert signed.status_code == 200, signed.text
    session = signed.cookies[SESSION_COOKIE]
    key = actors.keys["evaluator"]
    assert await _me(client, session=session) == 200
    assert await _me(client, key=key) == 200

    r = await client.patch(f"/api/v1/users/{uid}", json={"disabled": True}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["disabled"] is True
    assert await _me(client, session=session) == 401
    assert await _me(client, key=key) == 401
    refused = await _sign_in(client)
    wrong = await _sign_in(client, "not the password at all")
    # The same answer as a wrong password: a disabled account is not disclosed.
    assert refused.status_code == wrong.status_code == 401
    assert refused.json()["detail"] == wrong.json()["detail"]
    listed = (await client.get("/api/v1/users", headers=admin)).json()
    assert [u["disabled"] for u in listed if u["id"] == uid] == [True]

    r = await client.patch(f"/api/v1/users/{uid}", json={"disabled": False}, headers=admin)
    assert r.status_code == 200 and r.json()["disabled"] is False
    assert await _me(client, key=key) == 200
    # The sessions of before were ended: enabling asks for a new sign-in.
    assert await _me(client, session=session) == 401
    again = await _sign_in(client)
    assert again.status_code == 200
    assert await _me(client, session=again.cookies[SESSION_COOKIE]) == 200

    audit = (await client.get("/api/v1/audit", headers=admin)).json()
    changes = [
        (e["action"], e["target"], e["user_id"], e["program_id"])
        for e in audit
        if e["action"] in ("user.disable", "user.enable")
    ]
    assert changes == [
        ("user.enable", str(uid), admin_id, None),
        ("user.disable", str(uid), admin_id, None),
    ]


async def test_only_admins_disable_and_never_themselves(
    client: Any, actors: Any, conn: Conn
) -> None:
    uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", EMAIL)
    admin_id = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@example.org'")
    for role in ("grantee", "evaluator"):
        r = await client.patch(
            f"/api/v1/users/{uid}", json={"disabled": True}, headers=actors.headers(role)
        )
        assert r.status_code == 403, role
        assert (await client.get("/api/v1/audit", headers=actors.headers(role))).status_code == 403
    r = await client.patch(
        f"/api/v1/users/{admin_id}", json={"disabled": True}, headers=actors.headers("admin")
    )
    assert r.status_code == 422
    assert await conn.fetchval("SELECT count(*) FROM users WHERE disabled_at IS NOT NULL") == 0
    r = await client.patch(
        "/api/v1/users/999999", json={"disabled": True}, headers=actors.headers("admin")
    )
    assert r.status_code == 404


async def test_cli_disables_and_enables(
    client: Any, actors: Any, conn: Conn, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey.cli import main

    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    key = actors.keys["evaluator"]
    assert await anyio.to_thread.run_sync(main, ["user", "disable", EMAIL]) == 0
    assert await _me(client, key=key) == 401
    assert await conn.fetchval(
        "SELECT action FROM audit_log WHERE action LIKE 'user.%able' ORDER BY id DESC LIMIT 1"
    ) == "user.disable"
    assert await anyio.to_thread.run_sync(main, ["users", "enable", EMAIL]) == 0
    assert await _me(client, key=key) == 200
    assert await anyio.to_thread.run_sync(main, ["user", "disable", "nobody@example.org"]) == 1
