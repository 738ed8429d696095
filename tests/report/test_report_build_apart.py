"""A report whose two waves both need a cache built from nothing builds them side by
side, each on a connection of its own (``aggregate.build_apart``), and the caches are
what a scan gives; with one wave to build, or a wave being built elsewhere, it behaves
as the report always did.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import pytest

from survey import db
from survey.access import SYSTEM
from survey.db import Conn, Connect
from survey.errors import Unavailable
from survey.report import aggregate, build_report, cache
from survey.report.seeding import Seeded, seed_program
from survey.report.service import refresh_report_caches
from survey.resources import Resources
from survey.sql import Q
from tests.report.test_report_cache import (
    DESIGN,
    assert_cache_matches,
    cache_states,
    completes,
)


@pytest.fixture
async def seeded(conn: Conn, resources: Resources) -> Seeded:
    return await seed_program(conn, resources, DESIGN, slug="apart", seed=21)


class Meeting:
    """A ``Connect`` whose builds wait, after their build statement and before their
    commit, until the other build has come as far: builds made one after the other, or
    one waiting on a row the other holds until it commits, wait here until the timeout."""

    def __init__(self, database_url: str) -> None:
        self.connect = db.connector(database_url)
        self.opened = 0
        self.barrier = asyncio.Barrier(2)

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[Conn]:
        self.opened += 1
        async with self.connect() as conn:
            yield _Waiting(conn, self.barrier)  # type: ignore[misc]


class _Waiting:
    def __init__(self, conn: Conn, barrier: asyncio.Barrier) -> None:
        self._conn = conn
        self._barrier = barrier

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        row = await self._conn.fetchrow(query, *args, **kwargs)
        if query == Q.report_cache_add:
            await asyncio.wait_for(self._barrier.wait(), timeout=10)
        return row


async def test_both_waves_are_built_side_by_side_and_match_a_scan(
    conn: Conn, resources: Resources, seeded: Seeded, database_url: str
) -> None:
    meeting = Meeting(database_url)
    report = await build_report(conn, SYSTEM, resources, seeded.program_id, connect=meeting)
    assert meeting.opened == 2  # one per wave
    # Each wave was built in one batch, of all its completes, before the report read it;
    # the report's own refresh then had nothing to add.
    assert await cache_states(conn, seeded) == [
        (seeded.pre_id, await completes(conn, seeded, seeded.pre_id), 1),
        (seeded.post_id, await completes(conn, seeded, seeded.post_id), 1),
    ]
    await assert_cache_matches(conn, resources, seeded)
    # The same report as one built in the caller's connection alone.
    again = await build_report(conn, SYSTEM, resources, seeded.program_id)
    first = msgspec.to_builtins(msgspec.structs.replace(report, generated_at=again.generated_at))
    assert _differences(first, msgspec.to_builtins(again)) == []


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two reports differ, by path: the whole reports are too long to compare
    by eye in a failure message."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b))
                for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        # The cache's rows come back in no set order, so sums over them may differ in
        # the last bit (an SD of 1.0181154845030826 against ...24): the same figure.
        same = math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
        return [] if same else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


async def test_stale_caches_of_both_waves_are_built_again_side_by_side(
    conn: Conn, resources: Resources, seeded: Seeded, database_url: str
) -> None:
    await build_report(conn, SYSTEM, resources, seeded.program_id)
    for wave_id in (seeded.pre_id, seeded.post_id):
        await conn.execute("SELECT report_cache_invalidate($1, $2)", seeded.program_id, wave_id)
    meeting = Meeting(database_url)
    await build_report(conn, SYSTEM, resources, seeded.program_id, connect=meeting)
    assert meeting.opened == 2
    assert [b for _, _, b in await cache_states(conn, seeded)] == [1, 1]
    await assert_cache_matches(conn, resources, seeded)


async def test_one_wave_to_build_is_built_by_the_report_itself(
    conn: Conn, resources: Resources, seeded: Seeded, database_url: str
) -> None:
    await build_report(conn, SYSTEM, resources, seeded.program_id)
    # Move the pre wave's epoch on, as a change to one of its completed responses does.
    await conn.execute("SELECT report_cache_invalidate($1, $2)", seeded.program_id, seeded.pre_id)
    opened = []
    connect = db.connector(database_url)

    @asynccontextmanager
    async def counted() -> AsyncIterator[Conn]:
        opened.append(1)
        async with connect() as c:
            yield c

    q = resources.questionnaires["community-trust"]
    specs = aggregate.construct_specs(q)
    items = [i.id for i in aggregate.likert_items(q)]
    sig = cache.signature(aggregate.spec_arrays(specs), items, ())
    waves = [seeded.pre_id, seeded.post_id]
    assert await cache.cold_waves(conn, seeded.program_id, waves, sig) == {seeded.pre_id: True}
    built = await aggregate.build_apart(
        conn,
        counted,
        seeded.program_id,
        waves,
        weight_items=(),
        specs=specs,
        items=items,
        session=("60s", "64MB"),
    )
    assert (built, len(opened)) == (0, 0)
    await build_report(conn, SYSTEM, resources, seeded.program_id, connect=counted)
    assert await cache.cold_waves(conn, seeded.program_id, waves, sig) == {}
    await assert_cache_matches(conn, resources, seeded)
    # Nor does a report whose caches are current, nor `survey warm`'s refresh of them.
    await build_report(conn, SYSTEM, resources, seeded.program_id, connect=counted)
    await refresh_report_caches(conn, SYSTEM, resources, seeded.program_id, connect=counted)
    assert opened == []


async def test_a_wave_built_elsewhere_gives_the_busy_answer_and_the_other_is_kept(
    conn: Conn,
    resources: Resources,
    seeded: Seeded,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cache, "LOCK_WAIT", "200ms")
    connect: Connect = db.connector(database_url)
    async with connect() as other, other.transaction():
        # Another report building the post wave holds its refresh lock.
        await other.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('report-cache:' || $1::bigint "
            "|| ':' || $2::bigint, 0))",
            seeded.program_id,
            seeded.post_id,
        )
        with pytest.raises(Exception) as raised:
            await build_report(conn, SYSTEM, resources, seeded.program_id, connect=connect)
    mapped = db.translate_error(raised.value)
    assert isinstance(mapped, Unavailable) and mapped.retry_after == 30
    # The pre wave's build was not thrown away with the post wave's failure.
    assert [w for w, _, _ in await cache_states(conn, seeded)] == [seeded.pre_id]
    await build_report(conn, SYSTEM, resources, seeded.program_id, connect=connect)
    await assert_cache_matches(conn, resources, seeded)


async def test_without_connections_to_spare_the_report_builds_its_waves_itself(
    conn: Conn, resources: Resources, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pool whose connections are all held by requests that wait for more: the report
    does not wait for one, it builds both waves in its own connection."""
    monkeypatch.setattr(aggregate, "SPARE_WAIT", 0.2)

    @asynccontextmanager
    async def exhausted() -> AsyncIterator[Conn]:
        await asyncio.sleep(5)  # as a pool with none free
        raise AssertionError("the report waited for a connection")
        yield

    report = await build_report(conn, SYSTEM, resources, seeded.program_id, connect=exhausted)
    assert await cache_states(conn, seeded) == [
        (seeded.pre_id, await completes(conn, seeded, seeded.pre_id), 1),
        (seeded.post_id, await completes(conn, seeded, seeded.post_id), 1),
    ]
    assert report.sites
    await assert_cache_matches(conn, resources, seeded)
