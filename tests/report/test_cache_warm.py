"""``survey warm`` builds again the caches a change made stale (survey/services/warm.py).

After an edit of a completed response's answers by hand, the warmer builds the
program's default report caches, unweighted and weighted, and the wave's export cells;
after one is flagged, moved or deleted, or others complete, it brings them up to date,
so the next report and export find them current; a second pass has nothing to do, and
a second warmer skips its pass while one is working. It builds the caches of a wave
with complete responses before anyone asks for a report, and keeps them up to date as
responses come, so the first report finds them built.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from seeded_db import seeded_database

from survey import db
from survey.access import SYSTEM
from survey.db import Conn
from survey.embedded import EmbeddedPostgres
from survey.export import cells, export_bytes
from survey.export.plan import plan_export
from survey.report import build_report
from survey.report.margins import import_margins
from survey.report.seeding import Seeded, seed_program
from survey.report.synthetic import SiteDesign, demo_margins
from survey.resources import Resources
from survey.services.warm import Warmer, WarmStats
from survey.sql import Q
from tests.report.test_report_cache import add_responses, assert_cache_matches, completes

DESIGN = [SiteDesign("North", 40, 44, {"trust": 0.5}), SiteDesign("South", 30, 28)]
BUILT = (
    "SELECT wave_id, signature, built_at FROM report_cache_state WHERE program_id = $1 "
    "ORDER BY 1, 2"
)


@pytest.fixture(scope="module")
def seeded_template(
    pg_server: EmbeddedPostgres, template_db: str, resources_base: Resources
) -> Iterator[tuple[str, Seeded]]:
    """The program every test starts from, seeded once (tests/seeded_db.py)."""

    async def seed(conn: Conn) -> Seeded:
        s = await seed_program(conn, resources_base, DESIGN, slug="warm", seed=5)
        await import_margins(conn, SYSTEM, resources_base, s.program_id, demo_margins(DESIGN))
        return s

    with seeded_database(pg_server, template_db, seed) as made:
        yield made


@pytest.fixture
def database_template(request: pytest.FixtureRequest, template_db: str) -> str:
    """The seeded program's copy for the tests that take it; the bare template for the
    one that seeds its own, whose warmer must find no other program's caches missing."""
    if "seeded" not in request.fixturenames:
        return template_db
    made: tuple[str, Seeded] = request.getfixturevalue("seeded_template")
    return made[0]

@pytest.fixture
def seeded(seeded_template: tuple[str, Seeded], database_url: str) -> Seeded:
    return seeded_template[1]


async def csv(conn: Conn, res: Resources, s: Seeded) -> bytes:
    plan = await plan_export(conn, SYSTEM, res, s.program_id, s.pre_id)
    return b"".join([p async for p in export_bytes(conn, plan, "csv")])


async def stale(conn: Conn) -> list[tuple[Any, ...]]:
    return [(r["kind"], r["wave_id"]) for r in await conn.fetch(Q.caches_stale)]


async def test_the_warmer_builds_what_a_change_made_stale(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    for weighted in (False, True):
        await build_report(conn, SYSTEM, resources, seeded.program_id, weighted=weighted)
    await cells.prepare(
        conn, await plan_export(conn, SYSTEM, resources, seeded.program_id, seeded.pre_id)
    )
    assert await stale(conn) == []
    # Answers edited by hand, then report_cache_invalidate, as an edit in bulk does: the
    # wave's report caches and export cells are stale (0014_cells_epoch).
    await conn.execute(
        "UPDATE answers SET value_num = 6 - value_num WHERE program_id = $1 AND response_id = "
        "(SELECT min(id) FROM responses WHERE program_id = $1 AND wave_id = $2 "
        "AND status = 'complete') AND value_num IS NOT NULL",
        seeded.program_id,
        seeded.pre_id,
    )
    await conn.execute("SELECT report_cache_invalidate($1, $2)", seeded.program_id, seeded.pre_id)
    assert await stale(conn) == [("report", seeded.pre_id), ("export", seeded.pre_id)]
    before = await conn.fetch(BUILT, seeded.program_id)

    stats = await Warmer(conn, resources).run_once()
    assert stats == WarmStats(reports=2, exports=1)
    assert await stale(conn) == []
    after = await conn.fetch(BUILT, seeded.program_id)
    # The pre wave's two caches were built from nothing; the post wave's were kept.
    rebuilt = [
        (r["wave_id"], r["built_at"] > b["built_at"]) for r, b in zip(after, before, strict=True)
    ]
    pre, post = seeded.pre_id, seeded.post_id
    assert rebuilt == [(pre, True), (pre, True), (post, False), (post, False)]
    # What they hold is what a scan finds, and reports and exports use them as they are.
    await assert_cache_matches(conn, resources, seeded)
    exported = await csv(conn, resources, seeded)
    assert await conn.fetch(BUILT, seeded.program_id) == after
    await conn.execute("SET default_transaction_read_only = on")  # rendered from the answers
    assert await csv(conn, resources, seeded) == exported
    await conn.execute("SET default_transaction_read_only = off")
    assert await Warmer(conn, resources).run_once() == WarmStats()


STATES = (
    "SELECT wave_id, signature, responses, batches, refreshed_at FROM report_cache_state "
    "WHERE program_id = $1 ORDER BY 1, 2"
)


async def behind(conn: Conn) -> list[int]:
    return [r["program_id"] for r in await conn.fetch(Q.caches_behind)]


async def test_the_warmer_keeps_current_caches_current_and_folded(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    for weighted in (False, True):
        await build_report(conn, SYSTEM, resources, seeded.program_id, weighted=weighted)
    assert await behind(conn) == []
    # A flagged duplicate is taken back by the next refresh (0015_report_cache_changes).
    await conn.execute(
        "UPDATE responses SET duplicate_suspect = true WHERE program_id = $1 AND id = "
        "(SELECT min(id) FROM responses WHERE program_id = $1 AND status = 'complete')",
        seeded.program_id,
    )
    assert await behind(conn) == [seeded.program_id]
    await add_responses(conn, resources, seeded, seed=21)
    await add_responses(conn, resources, seeded, seed=22)
    assert await behind(conn) == [seeded.program_id]
    before = await conn.fetch(STATES, seeded.program_id)
    assert {r["batches"] for r in before} == {1}

    assert await Warmer(conn, resources).run_once() == WarmStats(refreshed=2)
    assert await behind(conn) == []
    after = await conn.fetch(STATES, seeded.program_id)
    # Each of the four caches (two waves, weighted or not) took the 2 × 2 sites × 3 or 4
    # new responses of its wave, and holds them in one batch with the old ones.
    added = [a["responses"] - b["responses"] for a, b in zip(after, before, strict=True)]
    assert added == [12, 12, 16, 16]
    assert {r["batches"] for r in after} == {1}
    await assert_cache_matches(conn, resources, seeded)
    # Nothing left for a report to add, and nothing for the next pass to do.
    refreshed = [r["refreshed_at"] for r in await conn.fetch(STATES, seeded.program_id)]
    await build_report(conn, SYSTEM, resources, seeded.program_id, weighted=True)
    assert [r["refreshed_at"] for r in await conn.fetch(STATES, seeded.program_id)] == refreshed
    assert await Warmer(conn, resources).run_once() == WarmStats()


async def test_one_warmer_at_a_time(
    conn: Conn, resources: Resources, seeded: Seeded, database_url: str
) -> None:
    await build_report(conn, SYSTEM, resources, seeded.program_id)
    await conn.execute("SELECT report_cache_invalidate($1, $2)", seeded.program_id, seeded.post_id)
    other = await db.connect(database_url)
    try:
        assert await other.fetchval(Q.caches_warm_lock)
        assert await Warmer(conn, resources).run_once() == WarmStats()
        assert await stale(conn) == [("report", seeded.post_id), ("export", seeded.post_id)]
    finally:
        await other.close()
    assert await Warmer(conn, resources).run_once() == WarmStats(reports=2, exports=1)
    assert await stale(conn) == []


async def test_survey_warm_once(
    conn: Conn, resources: Resources, seeded: Seeded, database_url: str
) -> None:
    from tests.test_cli import run

    await build_report(conn, SYSTEM, resources, seeded.program_id)
    await conn.execute("SELECT report_cache_invalidate($1, $2)", seeded.program_id, seeded.pre_id)
    done = run(["warm", "--once"], {"SURVEY_DATABASE_URL": database_url})
    assert done.returncode == 0, done.stderr
    assert (
        "built 2 report(s) and 1 export(s) again, brought 0 report(s) up to date; "
        "0 skipped, 0 failed"
    ) in done.stderr
    assert await stale(conn) == []


async def missing(conn: Conn) -> list[int]:
    return [r["program_id"] for r in await conn.fetch(Q.caches_missing)]


FULL = (
    "SELECT wave_id, signature, responses, built_at, refreshed_at FROM report_cache_state "
    "WHERE program_id = $1 ORDER BY 1, 2"
)


async def test_the_warmer_builds_caches_before_the_first_report(
    conn: Conn, resources: Resources
) -> None:
    design = [SiteDesign("North", 40, 0, {"trust": 0.5}), SiteDesign("South", 30, 0)]
    s = await seed_program(conn, resources, design, slug="ahead", seed=6)
    await import_margins(conn, SYSTEM, resources, s.program_id, demo_margins(design))
    pre = await completes(conn, s, s.pre_id)
    assert pre > 0 and await completes(conn, s, s.post_id) == 0
    assert await missing(conn) == [s.program_id]
    # The pre wave's fieldwork: no report can be made yet, and the wave's own caches,
    # unweighted and weighted, are built now, from its few responses.
    assert await Warmer(conn, resources).run_once() == WarmStats(refreshed=2)
    first = await conn.fetch(FULL, s.program_id)
    assert [(r["wave_id"], r["responses"]) for r in first] == [(s.pre_id, pre)] * 2
    assert await missing(conn) == []
    assert await Warmer(conn, resources).run_once() == WarmStats()

    # A deleted response: the pass takes it back out of them, nothing is built again
    # (0018_report_cache_deletions).
    await conn.execute(
        "DELETE FROM responses WHERE program_id = $1 AND id = (SELECT min(id) FROM responses "
        "WHERE program_id = $1 AND wave_id = $2 AND status = 'complete')",
        s.program_id,
        s.pre_id,
    )
    assert await Warmer(conn, resources).run_once() == WarmStats(refreshed=2)
    kept = await conn.fetch(FULL, s.program_id)
    assert [r["responses"] for r in kept] == [pre - 1] * 2
    assert [r["built_at"] for r in kept] == [r["built_at"] for r in first]
    # An edit by hand makes them stale, and a pass builds them again.
    await conn.execute("SELECT report_cache_invalidate($1, $2)", s.program_id, s.pre_id)
    assert await Warmer(conn, resources).run_once() == WarmStats(reports=2, exports=1)
    rebuilt = await conn.fetch(FULL, s.program_id)
    assert [r["responses"] for r in rebuilt] == [pre - 1] * 2
    assert all(a["built_at"] > b["built_at"] for a, b in zip(rebuilt, first, strict=True))

    # The post wave's fieldwork starts, and the pre wave takes a few more: the pass adds
    # those to the pre wave's caches and builds the post wave's.
    await add_responses(conn, resources, s, seed=23)
    assert await missing(conn) == [s.program_id]
    assert await Warmer(conn, resources).run_once() == WarmStats(refreshed=2)
    states = await conn.fetch(FULL, s.program_id)
    post = await completes(conn, s, s.post_id)
    assert [(r["wave_id"], r["responses"]) for r in states] == [
        (s.pre_id, pre - 1 + 6), (s.pre_id, pre - 1 + 6), (s.post_id, post), (s.post_id, post)
    ]
    assert [r["built_at"] for r in states[:2]] == [r["built_at"] for r in rebuilt]

    # The first report, weighted or not, finds them current: it adds nothing.
    for weighted in (False, True):
        await build_report(conn, SYSTEM, resources, s.program_id, weighted=weighted)
    assert await conn.fetch(FULL, s.program_id) == states
    await assert_cache_matches(conn, resources, s)
    assert await Warmer(conn, resources).run_once() == WarmStats()


async def test_a_build_cut_off_by_a_lost_connection_is_tried_again(
    conn: Conn, resources: Resources, seeded: Seeded, database_url: str
) -> None:
    """The server ends the warmer's session in the middle of building a stale cache (a
    restart): the pass fails, rather than counting the build as skipped and keeping
    it out of every later pass on the lost connection's word."""
    import asyncio

    await build_report(conn, SYSTEM, resources, seeded.program_id)
    await conn.execute("SELECT report_cache_invalidate($1, $2)", seeded.program_id, seeded.post_id)
    tried: set[tuple[str, int, int, int]] = set()
    holder, lost = await db.connect(database_url), await db.connect(database_url)
    tx = holder.transaction()
    await tx.start()
    # The build waits for the cache's rows inside its statement, where the session ends.
    await holder.execute("LOCK TABLE report_cache_rows IN ACCESS EXCLUSIVE MODE")
    try:
        passing = asyncio.create_task(Warmer(lost, resources, tried=tried).run_once())
        waiting = "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1"
        for _ in range(400):
            if await conn.fetchval(waiting, lost.get_server_pid()):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the build never waited")
        await conn.fetchval("SELECT pg_terminate_backend($1)", lost.get_server_pid())
        with pytest.raises(Exception) as failed:
            await passing
        assert db.connection_lost(failed.value), failed.value
    finally:
        await tx.rollback()
        await holder.close()
        lost.terminate()
    assert tried == set()
    assert await Warmer(conn, resources, tried=tried).run_once() == WarmStats(reports=2, exports=1)
    assert await stale(conn) == []
