"""An API key created while its owner's role changes never outlives the change.

Each side runs in its own transaction on its own connection, as two requests would."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from survey import db
from survey.access import SYSTEM, Principal
from survey.db import Conn
from survey.errors import Unauthorized
from survey.schemas import KeyIn, UserIn
from survey.services import users
from survey.sql import Q


async def _evaluator(conn: Conn, actors: Any) -> Principal:
    out = await users.create_user(conn, SYSTEM, UserIn(
        email="ev@example.org", name="ev", role="evaluator",
        program_ids=[actors.programs["own"]],
    ))
    return users.principal_from(await db.fetch_one(conn, Q.user_get, out.id, what="user"))


async def _waits_on_a_lock(conn: Conn, pid: int, task: asyncio.Task[Any]) -> bool:
    for _ in range(500):
        if task.done():
            return False
        if await conn.fetchval(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid
        ):
            return True
        await asyncio.sleep(0.01)
    return False


async def _active_keys(conn: Conn, user_id: int) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL", user_id
    ))


async def test_a_key_asked_for_during_a_role_change_is_refused(
    conn: Conn, database_url: str, actors: Any
) -> None:
    """set_role(evaluator -> grantee) is not committed yet when the evaluator's
    in-flight request creates a key: the key waits for the change, then is refused
    instead of starting life as a grantee's key the change never revoked."""
    as_ev = await _evaluator(conn, actors)
    admin, request = await db.connect(database_url), await db.connect(database_url)
    try:
        change = admin.transaction()
        await change.start()
        assert await users.set_role(admin, SYSTEM, as_ev.user_id, "grantee") == 0

        async def create() -> Any:
            async with request.transaction():
                return await users.create_key(request, as_ev, as_ev.user_id, KeyIn(name="nb"))

        task = asyncio.create_task(create())
        assert await _waits_on_a_lock(conn, request.get_server_pid(), task)
        await change.commit()
        with pytest.raises(Unauthorized):
            await asyncio.wait_for(task, 10)
    finally:
        await admin.close()
        await request.close()
    assert await conn.fetchval("SELECT role FROM users WHERE id = $1", as_ev.user_id) == "grantee"
    assert await _active_keys(conn, as_ev.user_id) == 0


async def test_a_role_change_during_a_key_creation_revokes_the_key(
    conn: Conn, database_url: str, actors: Any
) -> None:
    """The other order: the key is created first (not committed yet); the role change
    waits for it and then revokes it."""
    as_ev = await _evaluator(conn, actors)
    admin, request = await db.connect(database_url), await db.connect(database_url)
    try:
        creating = request.transaction()
        await creating.start()
        await users.create_key(request, as_ev, as_ev.user_id, KeyIn(name="nb"))

        async def change() -> int:
            async with admin.transaction():
                return await users.set_role(admin, SYSTEM, as_ev.user_id, "grantee")

        task = asyncio.create_task(change())
        assert await _waits_on_a_lock(conn, admin.get_server_pid(), task)
        await creating.commit()
        assert await asyncio.wait_for(task, 10) == 1
    finally:
        await admin.close()
        await request.close()
    assert await _active_keys(conn, as_ev.user_id) == 0


async def test_a_disabled_or_changed_account_creates_no_key(conn: Conn, actors: Any) -> None:
    """A principal resolved before its account changed (a stale request) is refused
    with the same error as a key that no longer resolves; the operator is not."""
    as_ev = await _evaluator(conn, actors)
    await users.set_disabled(conn, SYSTEM, as_ev.user_id, True)
    with pytest.raises(Unauthorized):
        await users.create_key(conn, as_ev, as_ev.user_id, KeyIn(name="nb"))
    await users.set_disabled(conn, SYSTEM, as_ev.user_id, False)
    await users.set_role(conn, SYSTEM, as_ev.user_id, "grantee")
    with pytest.raises(Unauthorized):
        await users.create_key(conn, as_ev, as_ev.user_id, KeyIn(name="nb"))
    assert await _active_keys(conn, as_ev.user_id) == 0
    await users.create_key(conn, SYSTEM, as_ev.user_id, KeyIn(name="operator"))
    assert await _active_keys(conn, as_ev.user_id) == 1
