"""`survey demo --reset`: the demo program is purged and seeded afresh, and the demo
users are made over for the new program instead of colliding with themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from survey import db
from survey.cli import demo
from survey.db import Conn
from survey.services import users

BASE = "http://testserver.local"


@pytest.fixture
async def seeded(
    demo_database: tuple[str, dict[str, str]],
) -> AsyncIterator[tuple[Conn, dict[str, str]]]:
    """A copy of a database `demo.seed` seeded (once per run: the report tests read it
    too), and what that first seeding returned."""
    url, first = demo_database
    conn = await db.connect(url)
    try:
        yield conn, first
    finally:
        await conn.close()


async def test_reset_reseeds_the_demo_and_retires_the_old_credentials(
    seeded: tuple[Conn, dict[str, str]],
) -> None:
    conn, first = seeded
    old_program = await conn.fetchval("SELECT id FROM programs WHERE slug = $1", demo.DEMO_SLUG)
    old_key = first["grantee API key"]
    assert (await users.principal_for_key(conn, old_key)) is not None
    assert await demo.seed(conn, BASE) == {}  # already there: nothing done, nothing shown

    second = await demo.seed(conn, BASE, reset=True)

    program = await conn.fetchval("SELECT id FROM programs WHERE slug = $1", demo.DEMO_SLUG)
    assert program != old_program
    # The flyers link is the dashboard's page (it asks for a sign-in), not the API's
    # PDF, which answers 401 to a browser.
    pre = await conn.fetchval(
        "SELECT min(id) FROM waves WHERE program_id = $1", program
    )
    assert second["flyers page (sign in first)"] == (
        f"{BASE}/dashboard/programs/{program}/waves/{pre}/flyers"
    )
    assert not any("/api/" in v for k, v in second.items() if "flyer" in k)
    for table in ("responses", "sites", "waves", "contacts", "invitations", "wave_sites"):
        left = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE program_id = $1",
                                   old_program)
        assert left == 0, table
    assert await conn.fetchval("SELECT count(*) FROM users") == 3
    # The old key no longer works; the new one does, for the new program only.
    assert await users.principal_for_key(conn, old_key) is None
    grantee = await users.principal_for_key(conn, second["grantee API key"])
    assert grantee is not None and grantee.program_ids == frozenset({program})
    email, password = second["grantee login"].split(" / ")
    _, who = await users.login(conn, email, password)
    assert who.user_id == grantee.user_id
    old_password = first["grantee login"].split(" / ")[1]
    assert old_password != password
    # The synthetic responses again, each with its export cells rendered in bulk.
    complete = await conn.fetchval(
        "SELECT count(*) FROM responses WHERE program_id = $1 AND status = 'complete'", program
    )
    cells = await conn.fetchval("SELECT count(*) FROM export_cells WHERE program_id = $1", program)
    assert complete > 4000 and cells == complete
