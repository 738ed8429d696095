"""Fault: the database stops answering (every PostgreSQL process gets SIGSTOP, as a
network black hole would leave it: connections stay open, nothing comes back).

Readiness, a resident's page, the dashboard and the API must each answer 503 with
Retry-After within a few seconds (``SURVEY_ACQUIRE_TIMEOUT_MS``, 5 s by default),
not after the 20 s of a statement's client-side timeout or the 60 s of asyncpg's
connect timeout. The app here is given 1 s through that same setting: each of the
two rounds of requests then waits 1 s rather than 5 (readiness keeps its own 2 s),
and the limit, 3 s past it, still tells the acquire timeout from the statement's
(the default 15 s, kept) or the connect's. The fault tests' own server
(``conftest.fault_server``): frozen, the shared one would stall every other test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from survey import db, embedded, migrations
from survey.app import create_app
from survey.config import load_settings
from tests.faults.pg import pgdata

#: The app's SURVEY_ACQUIRE_TIMEOUT_MS here, and how long a request may take: that, plus
#: 3 s for a machine this busy (readiness pings with 2 s of its own).
ACQUIRE_TIMEOUT_MS = 1000
LIMIT = ACQUIRE_TIMEOUT_MS / 1000 + 3.0


def _processes(pgdata: Path) -> list[int]:
    """The postmaster and its children (backends, checkpointer, walwriter...)."""
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return [postmaster, *map(int, children)]


@contextlib.contextmanager
def frozen(pgdata: Path) -> Iterator[None]:
    stopped: list[int] = []
    try:
        for pid in _processes(pgdata):
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        yield
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def own_server(fault_server: embedded.EmbeddedPostgres) -> Iterator[tuple[str, Path]]:
    """A migrated database of this module's own on the fault tests' server, and the
    server's data directory (to freeze its processes)."""
    url = fault_server.url("frozen")

    async def build() -> None:
        await embedded.ensure_database(fault_server.url(), "frozen")
        conn = await db.connect(url)
        try:
            await migrations.upgrade(conn)
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await db.connect(fault_server.url())
        try:
            await conn.execute("DROP DATABASE frozen WITH (FORCE)")
        finally:
            await conn.close()

    asyncio.run(build())
    yield url, pgdata(fault_server)
    asyncio.run(drop())


@pytest.fixture
async def frozen_client(
    own_server: tuple[str, Path], resources_base: Any
) -> AsyncIterator[AsyncTestClient[Any]]:
    import dataclasses

    settings = load_settings(
        {"SURVEY_ACQUIRE_TIMEOUT_MS": str(ACQUIRE_TIMEOUT_MS)},
        database_url=own_server[0], secret_key="test-secret-key",
        public_base_url="http://testserver.local", pool_min_size=2, pool_max_size=4,
    )
    # The statement timeout stays the default, well past LIMIT: waiting it out fails.
    assert settings.statement_timeout_ms / 1000 > 2 * LIMIT
    app = create_app(settings, resources=dataclasses.replace(resources_base, settings=settings))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


TARGETS = [
    ("GET", "/readyz", {}),
    ("GET", "/s/" + "a" * 22, {}),  # a resident's personal link
    ("GET", "/dashboard/programs/1", {"cookie": "survey_session=" + "b" * 43}),
    ("GET", "/api/v1/programs", {"authorization": "Bearer " + "c" * 40}),
]


async def test_a_frozen_database_answers_503_within_seconds(
    frozen_client: AsyncTestClient[Any], own_server: tuple[str, Path]
) -> None:
    client = frozen_client
    assert (await client.get("/readyz")).status_code == 200
    # Every pooled connection idle a while, as between a quiet evening's requests.
    await asyncio.sleep(db.PROBE_AFTER_IDLE_S + 0.2)

    async def hit(method: str, path: str, headers: dict[str, str]) -> tuple[str, int, str, float]:
        started = time.monotonic()
        reply = await client.request(method, path, headers=headers)
        return path, reply.status_code, reply.headers.get("retry-after", ""), (
            time.monotonic() - started)

    with frozen(own_server[1]):
        hits = await asyncio.wait_for(
            asyncio.gather(*(hit(*target) for target in TARGETS)), 60)
        # Once more, now that the pool's connections are gone: a connect must give up too.
        again = await asyncio.wait_for(
            asyncio.gather(*(hit(*target) for target in TARGETS)), 60)
    print(hits, again)
    for path, status, retry_after, took in [*hits, *again]:
        assert status == 503 and retry_after, (path, status, retry_after, took)
        assert took < LIMIT, (path, took)
    # Thawed, the same pool serves again.
    deadline = time.monotonic() + 15
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)


async def test_a_connection_never_handed_out_is_checked_on_its_first_use(
    own_server: tuple[str, Path],
) -> None:
    """The pool opens connections it has not handed out yet (its floor, and after an
    outage in the background): the first request to get one must not wait the whole
    command timeout (8 s here) on a frozen server. It read as idle for 0 s before."""
    pool = await db.create_pool(own_server[0], min_size=2, max_size=2,
                                statement_timeout_ms=3000, acquire_timeout_ms=1000)
    try:
        await asyncio.sleep(1.5)
        with frozen(own_server[1]):
            start = time.monotonic()
            with pytest.raises((TimeoutError, OSError, asyncpg.PostgresError)):
                async with pool.acquire() as conn:
                    await conn.fetchval("SELECT 1")
            waited = time.monotonic() - start
        assert waited < 3.0, waited
    finally:
        pool.terminate()
