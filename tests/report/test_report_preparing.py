"""A report whose waves have no cache and more than ``SURVEY_REPORT_PREPARE_OVER``
complete responses is prepared in the background: the request answers 503 with
Retry-After at once, one build runs however often it is asked, and once it is done
the report is the one a request would have built itself (``survey.report.preparing``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from survey import db
from survey.access import SYSTEM
from survey.app import create_app
from survey.config import Settings
from survey.db import Conn
from survey.report import build_report
from survey.report.preparing import Builds
from survey.report.seeding import Seeded, seed_program
from survey.report.synthetic import SiteDesign
from survey.resources import Resources
from survey.schemas import KeyIn, UserIn
from survey.services import users
from survey.sql import Q

DESIGN = [SiteDesign("North", 30, 26, {"trust": 0.5}), SiteDesign("South", 20, 24)]
INVALIDATE = "SELECT report_cache_invalidate($1, id) FROM waves WHERE program_id = $1"
KEY = "SELECT hashtextextended('report-cache:' || $1::bigint || ':' || $2::bigint, 0)"
LOCK_WAITS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock'"
)
CACHED = "SELECT wave_id FROM report_cache_state WHERE program_id = $1 ORDER BY 1"
# A build waits inside its statement for the waves' rows another session holds.
BUILDING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock' AND query LIKE '%report_cache_rows%'"
)


@asynccontextmanager
async def serving(
    settings: Settings, resources: Resources, over: int
) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = msgspec.structs.replace(settings, report_prepare_over=over)
    app = create_app(settings, resources=resources)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


@asynccontextmanager
async def holding_waves(database_url: str, program_id: int) -> AsyncIterator[Any]:
    """Another session holding the program's wave rows, which a cache build waits for
    inside its statement until the transaction yielded is rolled back."""
    holder = await db.connect(database_url)
    try:
        held = holder.transaction()
        await held.start()
        await holder.execute("SELECT FROM waves WHERE program_id = $1 FOR UPDATE", program_id)
        yield held
    finally:
        await holder.close()


async def _admin(conn: Conn) -> dict[str, str]:
    user = await users.create_user(
        conn, SYSTEM, UserIn(email="prepare-admin@example.org", name="admin", role="admin"))
    key = await users.create_key(conn, SYSTEM, user.id, KeyIn(name="test"))
    return {"Authorization": f"Bearer {key.key}"}


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"never got there: {check}"
        await asyncio.sleep(0.05)


def _figures(report: dict[str, Any]) -> dict[str, Any]:
    """The report without the moment it was made."""
    return {k: v for k, v in report.items() if k != "generated_at"}


@pytest.fixture
async def seeded(conn: Conn, resources: Resources) -> Seeded:
    # 50 complete responses in the pre wave, 50 in the post.
    return await seed_program(conn, resources, DESIGN, slug="prepare", seed=5)


async def test_a_large_uncached_report_is_prepared_once_in_the_background(
    conn: Conn, resources: Resources, settings: Settings, seeded: Seeded, database_url: str
) -> None:
    headers = await _admin(conn)
    url = f"/api/v1/programs/{seeded.program_id}/report"
    async with (
        holding_waves(database_url, seeded.program_id) as held,
        serving(settings, resources, over=99) as client,
    ):
        started = time.monotonic()
        first = await asyncio.wait_for(client.get(url, headers=headers), 10)
        assert first.status_code == 503, first.text
        assert first.headers["retry-after"] == "15"
        assert first.json()["extra"]["code"] == "preparing"
        assert "being prepared" in first.json()["detail"]
        # Both waves' builds wait on the held rows, side by side; asked again, the
        # report answers at once and starts no other build.
        await until(lambda: _count(conn, BUILDING, 2))
        again = await client.get(url, headers=headers)
        assert again.status_code == 503 and again.json()["extra"]["code"] == "preparing"
        assert time.monotonic() - started < 5
        assert await conn.fetchval(BUILDING) == 2
        await held.rollback()

        async def ready() -> bool:
            r = await client.get(url, headers=headers)
            assert r.status_code in (200, 503), r.text
            return r.status_code == 200

        await until(ready)
        done = await client.get(url, headers=headers)
    assert [r["wave_id"] for r in await conn.fetch(CACHED, seeded.program_id)] == [
        seeded.pre_id, seeded.post_id]
    # What a request that built the caches itself gives, from nothing.
    await conn.execute(INVALIDATE, seeded.program_id)
    built = await build_report(conn, SYSTEM, resources, seeded.program_id)
    assert _figures(done.json()) == _figures(msgspec.json.decode(msgspec.json.encode(built)))


async def _count(conn: Conn, query: str, n: int) -> bool:
    return bool(await conn.fetchval(query) == n)


async def test_a_report_under_the_threshold_or_with_caches_waits_for_its_build(
    conn: Conn, resources: Resources, settings: Settings, seeded: Seeded
) -> None:
    headers = await _admin(conn)
    url = f"/api/v1/programs/{seeded.program_id}/report"
    async with serving(settings, resources, over=100) as client:  # 100 responses: not over
        r = await client.get(url, headers=headers)
        assert r.status_code == 200, r.text
    assert len(await conn.fetch(CACHED, seeded.program_id)) == 2
    async with serving(settings, resources, over=1) as client:  # cached: nothing to build
        r = await client.get(url, headers=headers)
        assert r.status_code == 200, r.text
    await conn.execute(INVALIDATE, seeded.program_id)
    async with serving(settings, resources, over=0) as client:  # 0: never in the background
        r = await client.get(url, headers=headers)
        assert r.status_code == 200, r.text


async def test_a_build_that_failed_is_told_to_the_next_request_once() -> None:
    builds = Builds()
    key = (1, (2, 3), "sig")

    async def broken() -> None:
        raise ValueError("a bug of ours")

    async def elsewhere() -> None:
        raise asyncpg.LockNotAvailableError("another process builds this cache")

    assert builds.start(key, broken)
    await until(lambda: _idle(builds, key))
    assert builds.failed(key) and not builds.failed(key)
    # The database's own refusals say nothing of the build: the next request waits again.
    assert builds.start(key, elsewhere)
    await until(lambda: _idle(builds, key))
    assert not builds.failed(key)


async def _idle(builds: Builds, key: Any) -> bool:
    await asyncio.sleep(0)
    return not builds.running(key)


async def test_stopping_cancels_the_builds_under_way() -> None:
    builds = Builds()
    stopped = asyncio.Event()

    async def long() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            stopped.set()

    assert builds.start((1, (2, 3), "sig"), long)
    assert not builds.start((1, (2, 3), "sig"), long)  # one at a time per key
    await asyncio.sleep(0)
    await asyncio.wait_for(builds.close(), 5)
    assert stopped.is_set() and not builds.running((1, (2, 3), "sig"))


async def test_the_dashboard_says_so_in_the_readers_language_with_a_link_to_check_again(
    conn: Conn, resources: Resources, settings: Settings, seeded: Seeded, database_url: str
) -> None:
    headers = {**await _admin(conn), "Accept": "text/html"}
    path = f"/dashboard/programs/{seeded.program_id}/report?site={seeded.site_ids['South']}"
    async with (
        holding_waves(database_url, seeded.program_id) as held,
        serving(settings, resources, over=99) as client,
    ):
        page = await asyncio.wait_for(client.get(f"{path}&lang=es", headers=headers), 10)
        assert page.status_code == 503 and page.headers["retry-after"] == "15"
        assert "<h1>Este informe se está preparando</h1>" in page.text, page.text
        assert "Vuelva a intentarlo en un minuto" in page.text
        # The link asks for the same report again; no reload the reader did not ask for.
        assert f'href="{path}&amp;lang=es">Comprobar de nuevo</a>' in page.text
        assert 'http-equiv="refresh"' not in page.text
        await held.rollback()

        async def ready() -> bool:
            r = await client.get(f"{path}&lang=es", headers=headers)
            return r.status_code == 200
        await until(ready)


async def test_a_build_under_way_elsewhere_is_waited_for_not_started_again(
    conn: Conn, resources: Resources, settings: Settings, seeded: Seeded, database_url: str
) -> None:
    headers = await _admin(conn)
    url = f"/api/v1/programs/{seeded.program_id}/report"
    other = await db.connect(database_url)
    try:
        # The probe reads the refresh lock from pg_locks, keys of either sign alike.
        keys = []
        for wave_id in range(1, 21):
            async with other.transaction():
                await other.execute(Q.report_cache_lock, seeded.program_id, wave_id)
                keys.append(await other.fetchval(KEY, seeded.program_id, wave_id))
                assert await conn.fetchval(Q.report_cache_building, seeded.program_id, [wave_id])
                assert not await conn.fetchval(
                    Q.report_cache_building, seeded.program_id, [wave_id + 100])
        assert min(keys) < 0 < max(keys)
        # Another session (the warmer, say) is building the pre wave: the report says
        # so, and starts no build of its own, which would only wait for that lock.
        building = other.transaction()
        await building.start()
        await other.execute(Q.report_cache_lock, seeded.program_id, seeded.pre_id)
        async with serving(settings, resources, over=99) as client:
            r = await asyncio.wait_for(client.get(url, headers=headers), 10)
            assert r.status_code == 503 and r.json()["extra"]["code"] == "preparing", r.text
            await asyncio.sleep(0.3)
            assert await conn.fetchval(LOCK_WAITS) == 0
            await building.rollback()

            async def ready() -> bool:
                return (await client.get(url, headers=headers)).status_code == 200
            await until(ready)
    finally:
        await other.close()
