"""Administrators' changes to accounts that could lock everyone out or widen a key:
the last enabled administrator cannot be demoted or disabled, even by two
administrators at once (two real transactions); an administrator's own password is
changed only with the current one; a new role revokes the user's API keys."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio.to_thread
import pytest

from survey import db
from survey.access import Principal
from survey.db import Conn
from survey.errors import Conflict
from survey.schemas import KeyIn, UserIn
from survey.services import users
from survey.sql import Q


async def _second_admin(conn: Conn) -> tuple[int, str]:
    """admin2@example.org, an enabled administrator with an API key."""
    from survey.access import SYSTEM

    out = await users.create_user(
        conn, SYSTEM, UserIn(email="admin2@example.org", name="admin2", role="admin")
    )
    key = await users.create_key(conn, SYSTEM, out.id, KeyIn(name="test"))
    return out.id, key.key


async def _principal(conn: Conn, user_id: int) -> Principal:
    return users.principal_from(await db.fetch_one(conn, Q.user_get, user_id, what="user"))


async def _enabled_admins(conn: Conn) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL"
    ))


async def _cli(*args: str) -> int:
    from survey.cli import main

    return int(await anyio.to_thread.run_sync(main, list(args)))


async def _waiting_on_a_lock(conn: Conn, pid: int) -> bool:
    return bool(await conn.fetchval(
        "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid
    ))


@pytest.mark.parametrize("second", ["role", "disable"])
async def test_two_admins_demoting_each_other_at_once_leave_one(
    actors: Any, conn: Conn, database_url: str, second: str
) -> None:
    """admin1 demotes admin2 while admin2 demotes (or disables) admin1, each in its own
    transaction on its own connection: the second waits for the first, then is refused."""
    admin1 = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@example.org'")
    admin2, _ = await _second_admin(conn)
    one, two = await db.connect(database_url), await db.connect(database_url)
    try:
        as1, as2 = await _principal(one, admin1), await _principal(two, admin2)
        first = one.transaction()
        await first.start()
        await users.set_role(one, as1, admin2, "grantee")  # not committed yet

        async def other() -> None:
            async with two.transaction():
                if second == "role":
                    await users.set_role(two, as2, admin1, "grantee")
                else:
                    await users.set_disabled(two, as2, admin1, True)

        task = asyncio.create_task(other())
        pid = two.get_server_pid()
        for _ in range(200):  # until it waits on the first one's lock (or is done)
            if task.done() or await _waiting_on_a_lock(conn, pid):
                break
            await asyncio.sleep(0.01)
        assert not task.done(), "the second change did not wait for the first"
        await first.commit()
        with pytest.raises(Conflict) as refused:
            await asyncio.wait_for(task, 10)
        assert "admin@example.org is the last enabled administrator" in str(refused.value)
    finally:
        await one.close()
        await two.close()
    assert await _enabled_admins(conn) == 1
    assert await conn.fetchval("SELECT role FROM users WHERE id = $1", admin1) == "admin"
    assert await conn.fetchval("SELECT disabled_at FROM users WHERE id = $1", admin1) is None


async def test_the_last_enabled_admin_is_kept_over_http_and_cli(
    client: Any, actors: Any, conn: Conn, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin1 = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@example.org'")
    admin2, key2 = await _second_admin(conn)
    as2 = {"Authorization": f"Bearer {key2}"}
    r = await client.patch(f"/api/v1/users/{admin1}", json={"disabled": True}, headers=as2)
    assert r.status_code == 200, r.text  # admin2 is still there
    # admin1 is disabled: admin2 is the only enabled administrator; nobody can take
    # them away, in any combination of the PATCH.
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    for body in ({"role": "evaluator"}, {"disabled": True}, {"role": "admin", "disabled": True}):
        r = await client.patch(f"/api/v1/users/{admin2}", json=body, headers=as2)
        assert r.status_code == 422, (body, r.text)  # their own account, as before
    assert await _cli("user", "role", "admin2@example.org", "grantee") == 1
    assert await _cli("user", "disable", "admin2@example.org") == 1
    err = capsys.readouterr().err
    assert err.count("admin2@example.org is the last enabled administrator") == 2, err
    assert "survey user role EMAIL admin" in err
    assert await _enabled_admins(conn) == 1
    # Enabling admin1 again (the way back) takes no administrator away: allowed, and
    # then admin1 may demote admin2, but admin2 can no longer demote admin1.
    r = await client.patch(f"/api/v1/users/{admin1}", json={"disabled": False}, headers=as2)
    assert r.status_code == 200, r.text
    r = await client.patch(
        f"/api/v1/users/{admin2}", json={"role": "grantee"}, headers=actors.headers("admin")
    )
    assert r.status_code == 200, r.text
    r = await client.patch(
        f"/api/v1/users/{admin1}", json={"role": "grantee"}, headers=actors.headers("admin")
    )
    assert r.status_code == 422  # their own role
    # The CLI refuses the last one too, and says how to recover.
    assert await _cli("user", "role", "admin@example.org", "evaluator") == 1
    assert "make another administrator first" in capsys.readouterr().err
    assert await _cli("user", "role", "admin2@example.org", "admin") == 0
    assert await _cli("user", "disable", "admin@example.org") == 0
    assert await _enabled_admins(conn) == 1


async def test_an_admin_cannot_set_their_own_password_by_patch(
    client: Any, actors: Any, conn: Conn
) -> None:
    admin1 = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@example.org'")
    before = await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", admin1)
    for body in ({"password": "a brand new password"},
                 {"password": "a brand new password", "disabled": False}):
        r = await client.patch(
            f"/api/v1/users/{admin1}", json=body, headers=actors.headers("admin")
        )
        assert r.status_code == 422, r.text
        problem = r.json()["extra"][0]
        assert problem["field"] == "password" and "/api/v1/me/password" in problem["reason"]
    assert await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", admin1) == before
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'user.password'") == 0
    # Someone else's password is still theirs to set.
    other = await conn.fetchval("SELECT id FROM users WHERE email = 'grantee@example.org'")
    r = await client.patch(
        f"/api/v1/users/{other}", json={"password": "a brand new password"},
        headers=actors.headers("admin"),
    )
    assert r.status_code == 200 and r.json()["keys_revoked"] == 0, r.text


async def test_a_new_role_revokes_the_users_api_keys(
    client: Any, actors: Any, conn: Conn, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from survey.access import SYSTEM

    uid = await conn.fetchval("SELECT id FROM users WHERE email = 'evaluator@example.org'")
    admin1 = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@example.org'")
    second = await users.create_key(conn, SYSTEM, uid, KeyIn(name="notebook"))
    evaluator = actors.headers("evaluator")
    assert (await client.get("/api/v1/me", headers=evaluator)).status_code == 200
    r = await client.patch(
        f"/api/v1/users/{uid}", json={"role": "grantee"}, headers=actors.headers("admin")
    )
    assert r.status_code == 200, r.text
    assert (r.json()["role"], r.json()["keys_revoked"]) == ("grantee", 2)
    # Neither key reads anything now, least of all the grantee's contacts.
    for headers in (evaluator, {"Authorization": f"Bearer {second.key}"}):
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    rows = await conn.fetch(
        "SELECT action, target, user_id, detail FROM audit_log"
        " WHERE action IN ('user.role', 'key.revoke_all') ORDER BY id"
    )
    keys = sorted(r["id"] for r in await conn.fetch(
        "SELECT id FROM api_keys WHERE user_id = $1", uid
    ))
    assert [
        (r["action"], r["target"], r["user_id"],
         json.loads(r["detail"]) if isinstance(r["detail"], str) else dict(r["detail"]))
        for r in rows
    ] == [
        ("user.role", str(uid), admin1, {"role": "grantee", "previous": "evaluator"}),
        ("key.revoke_all", str(uid), admin1, {"keys": keys, "reason": "role"}),
    ]
    # The same role again revokes nothing (a key made since carries on).
    third = await users.create_key(conn, SYSTEM, uid, KeyIn(name="new"))
    r = await client.patch(
        f"/api/v1/users/{uid}", json={"role": "grantee"}, headers=actors.headers("admin")
    )
    assert r.status_code == 200 and r.json()["keys_revoked"] == 0
    third_key = {"Authorization": f"Bearer {third.key}"}
    assert (await client.get("/api/v1/me", headers=third_key)).status_code == 200
    # The CLI does the same and says so.
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    assert await _cli("user", "role", "evaluator@example.org", "evaluator") == 0
    assert "1 API key revoked" in capsys.readouterr().out
    assert (await client.get("/api/v1/me", headers=third_key)).status_code == 401
