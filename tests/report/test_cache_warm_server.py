"""``survey serve``'s own warmer (``SURVEY_WARM_INTERVAL``, ``warm_beside_server``).

Every server worker runs warm passes in the background, so a deployment that runs no
``survey warm`` still finds its report caches built before the first report. The
passes take turns with any other warmer (a worker of another server, ``survey warm``):
while one holds the lock, the others skip theirs. A pass that fails, its connections
cut in the middle of a build, is logged, and the next pass builds what it left. Apps
built without ``warm`` (every other test's) leave caches alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from survey import db
from survey.app import create_app
from survey.config import Settings
from survey.db import Conn
from survey.report.seeding import seed_program
from survey.report.synthetic import SiteDesign
from survey.resources import Resources
from survey.sql import Q
from tests.report.test_report_cache import add_responses, assert_cache_matches, completes

DESIGN = [SiteDesign("North", 30, 26, {"trust": 0.5}), SiteDesign("South", 20, 24)]
CACHED = (
    "SELECT wave_id, responses FROM report_cache_state WHERE program_id = $1 ORDER BY 1"
)
BUILDING = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock' AND query LIKE '%report_cache_rows%'"
)

POOL_CUT = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND application_name = 'survey'"
)


@asynccontextmanager
async def server_app(
    settings: Settings, resources: Resources, *, warm: bool, every: float = 0.1
) -> AsyncIterator[None]:
    settings = msgspec.structs.replace(settings, warm_interval=every)
    app = create_app(settings, resources=resources, warm=warm)
    async with AsyncTestClient(app=app, base_url="http://testserver.local"):
        yield


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"the server's warmer never got there: {check}"
        await asyncio.sleep(0.05)


async def test_the_server_builds_caches_in_turn_with_other_warmers(
    conn: Conn, resources: Resources, settings: Settings
) -> None:
    s = await seed_program(conn, resources, DESIGN, slug="serve-warm", seed=3)

    async def cached() -> list[tuple[int, int]]:
        return [(r["wave_id"], r["responses"]) for r in await conn.fetch(CACHED, s.program_id)]

    async def current() -> bool:
        want = [(s.pre_id, await completes(conn, s, s.pre_id)),
                (s.post_id, await completes(conn, s, s.post_id))]
        return await cached() == want

    # Another warmer is in the middle of a pass: the server's passes skip theirs.
    assert await conn.fetchval(Q.caches_warm_lock)
    async with server_app(settings, resources, warm=True):
        await asyncio.sleep(0.6)
        assert await cached() == []
        await conn.execute(Q.caches_warm_unlock)
        await until(current)
        # Fieldwork goes on, and a later pass adds it. (Checked against a scan only
        # then: the check builds caches of other signatures, which no pass keeps.)
        await add_responses(conn, resources, s, seed=31)
        await until(current)
        await assert_cache_matches(conn, resources, s)
    # Stopped, the server left no pass holding the lock.
    assert await conn.fetchval(Q.caches_warm_lock)
    await conn.execute(Q.caches_warm_unlock)


async def test_a_pass_cut_off_mid_build_is_logged_and_the_next_one_builds(
    conn: Conn,
    resources: Resources,
    settings: Settings,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = await seed_program(conn, resources, DESIGN, slug="serve-warm-cut", seed=4)
    caplog.set_level(logging.INFO, logger="survey.services.warm")
    holder = await db.connect(database_url)
    held = holder.transaction()
    await held.start()
    try:
        await holder.execute("SELECT FROM waves WHERE program_id = $1 FOR UPDATE", s.program_id)
        async with server_app(settings, resources, warm=True):
            # Both waves' builds wait inside their statement for the held rows; then
            # the server's connections are cut, the pass's own among them.
            await until(lambda: rows(conn, BUILDING, n=2))
            await conn.execute(POOL_CUT)
            await until(lambda: logged(caplog, "cache warm pass skipped"))
            assert await conn.fetch(CACHED, s.program_id) == []
            # The rows are let go: a later pass of the same server builds both waves.
            await held.rollback()
            await until(lambda: rows(conn, CACHED, s.program_id, n=2))
    finally:
        await holder.close()
    await assert_cache_matches(conn, resources, s)


async def rows(conn: Conn, query: str, *args: object, n: int) -> bool:
    return len(await conn.fetch(query, *args)) == n


async def logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records)


async def test_apps_built_without_warm_leave_caches_alone(
    conn: Conn, resources: Resources, settings: Settings
) -> None:
    s = await seed_program(conn, resources, DESIGN, slug="serve-cold", seed=5)
    async with server_app(settings, resources, warm=False, every=0.05):
        await asyncio.sleep(0.5)
    assert await conn.fetch(CACHED, s.program_id) == []
    # The same program is what a warming server builds at once.
    async with server_app(settings, resources, warm=True, every=0.05):
        await until(lambda: rows(conn, CACHED, s.program_id, n=2))
