"""``survey warm`` builds again the caches a change made stale (survey/services/warm.py).

After a change to a completed response, the warmer builds the program's default
report caches, unweighted and weighted, and the wave's export cells, so the next
report and export find them current; a second pass has nothing to do, and a second
warmer skips its pass while one is working.
"""

from __future__ import annotations

from typing import Any

import pytest

from survey import db
from survey.access import SYSTEM
from survey.db import Conn
from survey.export import cells, export_bytes
from survey.export.plan import plan_export
from survey.report import build_report
from survey.report.margins import import_margins
from survey.report.seeding import Seeded, seed_program
from survey.report.synthetic import SiteDesign, demo_margins
from survey.resources import Resources
from survey.services.warm import Warmer, WarmStats
from survey.sql import Q
from tests.report.test_report_cache import WEIGHT_ITEMS, counts

DESIGN = [SiteDesign("North", 40, 44, {"trust": 0.5}), SiteDesign("South", 30, 28)]
BUILT = (
    "SELECT wave_id, signature, built_at FROM report_cache_state WHERE program_id = $1 "
    "ORDER BY 1, 2"
)


@pytest.fixture
async def seeded(conn: Conn, resources: Resources) -> Seeded:
    s = await seed_program(conn, resources, DESIGN, slug="warm", seed=5)
    await import_margins(conn, SYSTEM, resources, s.program_id, demo_margins(DESIGN))
    return s


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
    await conn.execute(
        "UPDATE responses SET duplicate_suspect = true WHERE program_id = $1 AND id = "
        "(SELECT min(id) FROM responses WHERE program_id = $1 AND wave_id = $2 "
        "AND status = 'complete')",
        seeded.program_id,
        seeded.pre_id,
    )
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
    for weight in ((), WEIGHT_ITEMS):
        for dup in (False, True):
            got = [
                await counts(conn, resources, seeded, cached=cached, dup=dup, weight=weight)
                for cached in (True, False)
            ]
            assert got[0] == got[1]
    exported = await csv(conn, resources, seeded)
    assert await conn.fetch(BUILT, seeded.program_id) == after
    await conn.execute("SET default_transaction_read_only = on")  # rendered from the answers
    assert await csv(conn, resources, seeded) == exported
    await conn.execute("SET default_transaction_read_only = off")
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
    assert "built 2 report(s) and 1 export(s) again; 0 skipped, 0 failed" in done.stderr
    assert await stale(conn) == []
