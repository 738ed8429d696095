"""The panel pairs kept with the report cache (0010_report_cache_pairs.sql) are never stale.

A report keeps its pairs, and the next report reads them instead of working them out.
A refresh that appends responses brings them up to date member by member
(0012_report_cache_pairs_delta.sql): a panel member's later response in one wave,
which replaces their pair; a new member's first response, then their second, which
makes a new pair; a later pre response at another site, which ends one. The kept
table must then be, element for element, the one worked out from nothing. A flagged,
relinked, moved or reopened panel response is taken back and brought up to date the
same way (0015_report_cache_changes); an edit by hand has them worked out again. After
each change the report, weighted and not, must match the report computed from nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from seeded_db import seeded_database

from survey.access import SYSTEM
from survey.db import Conn
from survey.embedded import EmbeddedPostgres
from survey.report import build_report
from survey.report.margins import import_margins
from survey.report.seeding import Seeded, seed_program
from survey.report.synthetic import SiteDesign, demo_margins
from survey.resources import Resources
from tests.report.test_report_cache import WEIGHT_ITEMS, counts

# Panels large enough for their pairs to be shown (a quarter of the smaller wave).
DESIGN = [
    SiteDesign("North", 120, 130, {"trust": 0.5}),
    SiteDesign("South", 90, 80),
    SiteDesign("Small", 6, 5),
]


@pytest.fixture(scope="module")
def seeded_template(
    pg_server: EmbeddedPostgres, template_db: str, resources_base: Resources
) -> Iterator[tuple[str, Seeded]]:
    """The program every test starts from, seeded once (tests/seeded_db.py)."""

    async def seed(conn: Conn) -> Seeded:
        s = await seed_program(conn, resources_base, DESIGN, slug="pairs", seed=21)
        await import_margins(conn, SYSTEM, resources_base, s.program_id, demo_margins(DESIGN))
        return s

    with seeded_database(pg_server, template_db, seed) as made:
        yield made


@pytest.fixture
def database_template(seeded_template: tuple[str, Seeded]) -> str:
    return seeded_template[0]


@pytest.fixture
def seeded(seeded_template: tuple[str, Seeded], database_url: str) -> Seeded:
    return seeded_template[1]


async def kept(conn: Conn, s: Seeded) -> list[tuple[str, bool, Any]]:
    rows = await conn.fetch(
        "SELECT signature, exclude_duplicates, built_at FROM report_cache_pairs "
        "WHERE program_id = $1 ORDER BY signature, exclude_duplicates",
        s.program_id,
    )
    return [(r["signature"], r["exclude_duplicates"], r["built_at"]) for r in rows]


async def report(conn: Conn, res: Resources, s: Seeded, *, weighted: bool, dup: bool) -> Any:
    r = await build_report(
        conn, SYSTEM, res, s.program_id, weighted=weighted, exclude_duplicates=dup
    )
    out = msgspec.to_builtins(r)
    out.pop("generated_at")
    return out


async def afresh(conn: Conn, res: Resources, s: Seeded, *, weighted: bool, dup: bool) -> Any:
    """The report from caches built from nothing (rolled back afterwards)."""
    tx = conn.transaction()
    await tx.start()
    try:
        for wave_id in (s.pre_id, s.post_id):
            await conn.execute("SELECT report_cache_invalidate($1, $2)", s.program_id, wave_id)
        out = await report(conn, res, s, weighted=weighted, dup=dup)
        # Built again in this transaction: the pairs it read are from nothing too.
        now = await conn.fetchval("SELECT now()")
        assert now in [b for _, d, b in await kept(conn, s) if d == dup]
        return out
    finally:
        await tx.rollback()


def same(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9: rows summed in another order may move the last bits."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def paired(r: Any) -> list[Any]:
    return [c["paired"] for site in r["sites"] for c in site["constructs"]]


async def assert_reports_fresh(conn: Conn, res: Resources, s: Seeded) -> dict[Any, Any]:
    out = {}
    for weighted in (False, True):
        for dup in (False, True):
            got = await report(conn, res, s, weighted=weighted, dup=dup)
            assert same(got, await afresh(conn, res, s, weighted=weighted, dup=dup))
            out[(weighted, dup)] = got
    return out


async def resubmit_in_post(conn: Conn, s: Seeded) -> int:
    """A panel member's later post response with every answer reversed: it becomes their
    latest, so their pairs change, while the pre wave's cache has nothing to add."""
    response_id: int = await conn.fetchval(
        """
        WITH src AS (
            SELECT r.* FROM responses r
            WHERE r.program_id = $1 AND r.wave_id = $2 AND r.status = 'complete'
              AND EXISTS (SELECT FROM responses p
                          WHERE p.program_id = r.program_id AND p.wave_id = $3
                            AND p.panel_member_id = r.panel_member_id
                            AND p.site_id = r.site_id AND p.status = 'complete')
            ORDER BY r.id LIMIT 1
        ),
        added AS (
            INSERT INTO responses (program_id, wave_id, site_id, panel_member_id, language,
                                   channel, questionnaire_hash, status, submitted_at)
            SELECT program_id, wave_id, site_id, panel_member_id, language, channel,
                   questionnaire_hash, 'complete', submitted_at + interval '1 day'
            FROM src
            RETURNING id
        ),
        answered AS (
            INSERT INTO answers (program_id, response_id, item_id, value_num, value_text,
                                 value_codes, missing)
            SELECT a.program_id, n.id, a.item_id, 6 - a.value_num, a.value_text,
                   a.value_codes, a.missing
            FROM answers a JOIN src ON a.response_id = src.id AND a.program_id = src.program_id
            CROSS JOIN added n
        )
        SELECT id FROM added
        """,
        s.program_id,
        s.post_id,
        s.pre_id,
    )
    assert response_id is not None
    return response_id


async def test_pairs_are_kept_and_read_back(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    first = await assert_reports_fresh(conn, resources, seeded)
    # One table per signature (weighted or not) and duplicates in or out.
    built = await kept(conn, seeded)
    assert len(built) == 4
    again = await assert_reports_fresh(conn, resources, seeded)
    assert await kept(conn, seeded) == built
    assert same(again, first)
    assert any(p is not None for p in paired(first[(True, False)]))
    # And they are the pairs a scan finds.
    for dup in (False, True):
        for weight in ((), WEIGHT_ITEMS):
            cached = await counts(conn, resources, seeded, cached=True, dup=dup, weight=weight)
            scanned = await counts(conn, resources, seeded, cached=False, dup=dup, weight=weight)
            assert cached["paired"] == scanned["paired"]


async def test_a_later_response_in_one_wave_updates_the_pairs(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    before = await assert_reports_fresh(conn, resources, seeded)
    built = await kept(conn, seeded)
    async with conn.transaction():
        await resubmit_in_post(conn, seeded)
    after = await assert_reports_fresh(conn, resources, seeded)
    for key in before:
        assert paired(after[key]) != paired(before[key])
    # Brought up to date, not worked out again.
    assert await kept(conn, seeded) == built
    assert await tables(conn, seeded) == await rebuilt(conn, resources, seeded)


async def tables(conn: Conn, s: Seeded) -> list[tuple[Any, ...]]:
    rows = await conn.fetch(
        "SELECT signature, exclude_duplicates, site_ids, construct_ids, diffs, counts "
        "FROM report_cache_pairs WHERE program_id = $1 ORDER BY signature, exclude_duplicates",
        s.program_id,
    )
    return [tuple(r) for r in rows]


async def all_reports(conn: Conn, res: Resources, s: Seeded) -> None:
    for weighted in (False, True):
        for dup in (False, True):
            await report(conn, res, s, weighted=weighted, dup=dup)


async def rebuilt(conn: Conn, res: Resources, s: Seeded) -> list[tuple[Any, ...]]:
    """The pair tables worked out from nothing on the same panel rows (rolled back)."""
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute("DELETE FROM report_cache_pairs WHERE program_id = $1", s.program_id)
        await all_reports(conn, res, s)
        return await tables(conn, s)
    finally:
        await tx.rollback()


async def copy_response(
    conn: Conn, s: Seeded, source: int, *, wave: int, site: int, member: int, days: int
) -> None:
    """A complete response like ``source``, in its own transaction, with every answer
    reversed, submitted ``days`` after it, by ``member`` at ``site`` in ``wave``."""
    async with conn.transaction():
        await conn.execute(
            """
            WITH src AS (SELECT * FROM responses WHERE program_id = $1 AND id = $2),
            added AS (
                INSERT INTO responses (program_id, wave_id, site_id, panel_member_id,
                                       language, channel, questionnaire_hash, status,
                                       submitted_at)
                SELECT program_id, $3, $4, $5, language, channel, questionnaire_hash,
                       'complete', submitted_at + make_interval(days => $6)
                FROM src
                RETURNING id
            )
            INSERT INTO answers (program_id, response_id, item_id, value_num, value_text,
                                 value_codes, missing)
            SELECT a.program_id, n.id, a.item_id, 6 - a.value_num, a.value_text,
                   a.value_codes, a.missing
            FROM answers a CROSS JOIN added n
            WHERE a.program_id = $1 AND a.response_id = $2
            """,
            s.program_id,
            source,
            wave,
            site,
            member,
            days,
        )


async def test_pairs_follow_members_who_join_return_and_move(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    await all_reports(conn, resources, seeded)
    built = await kept(conn, seeded)
    north, south = seeded.site_ids["North"], seeded.site_ids["South"]
    pre: int = await conn.fetchval(
        "SELECT id FROM responses WHERE program_id = $1 AND wave_id = $2 AND site_id = $3 "
        "AND status = 'complete' ORDER BY id LIMIT 1",
        seeded.program_id,
        seeded.pre_id,
        north,
    )
    newcomer: int = await conn.fetchval(
        "INSERT INTO panel_members (program_id, pseudonym) VALUES ($1, 'newcomer') RETURNING id",
        seeded.program_id,
    )
    # Their first response, pre only: no pair yet.
    await copy_response(conn, seeded, pre, wave=seeded.pre_id, site=north, member=newcomer, days=1)
    await all_reports(conn, resources, seeded)
    assert await tables(conn, seeded) == await rebuilt(conn, resources, seeded)
    # Their post response: a new pair.
    before = await tables(conn, seeded)
    await copy_response(
        conn, seeded, pre, wave=seeded.post_id, site=north, member=newcomer, days=30
    )
    await all_reports(conn, resources, seeded)
    after = await tables(conn, seeded)
    assert after != before
    assert after == await rebuilt(conn, resources, seeded)
    # A member with a pair answers pre again, later, at another site: no pair any more.
    paired_pre = await conn.fetchrow(
        "SELECT r.id, r.panel_member_id FROM responses r WHERE r.program_id = $1 "
        "AND r.wave_id = $2 AND r.site_id = $3 AND r.status = 'complete' "
        "AND EXISTS (SELECT FROM responses p WHERE p.program_id = r.program_id "
        "AND p.wave_id = $4 AND p.panel_member_id = r.panel_member_id "
        "AND p.site_id = r.site_id AND p.status = 'complete') ORDER BY r.id LIMIT 1",
        seeded.program_id,
        seeded.pre_id,
        north,
        seeded.post_id,
    )
    assert paired_pre is not None
    await copy_response(
        conn,
        seeded,
        paired_pre["id"],
        wave=seeded.pre_id,
        site=south,
        member=paired_pre["panel_member_id"],
        days=2,
    )
    moved = await assert_reports_fresh(conn, resources, seeded)
    assert await tables(conn, seeded) != after
    assert await tables(conn, seeded) == await rebuilt(conn, resources, seeded)
    assert await kept(conn, seeded) == built
    assert any(p is not None for p in paired(moved[(False, False)]))


PANEL_PRE = (
    "(SELECT id FROM responses r WHERE r.program_id = $1 AND r.wave_id = $2 "
    "AND r.status = 'complete' AND EXISTS (SELECT FROM responses p "
    "WHERE p.program_id = r.program_id AND p.wave_id <> r.wave_id "
    "AND p.panel_member_id = r.panel_member_id AND p.site_id = r.site_id "
    "AND p.status = 'complete') ORDER BY id LIMIT 5)"
)


@pytest.mark.parametrize(
    "change",
    [
        f"SET duplicate_suspect = true WHERE program_id = $1 AND id IN {PANEL_PRE}",
        # Each of five paired members' pre responses goes to the next one's member.
        f"""SET panel_member_id = m.next FROM (
                SELECT id, coalesce(lead(panel_member_id) OVER (ORDER BY id),
                                    first_value(panel_member_id) OVER (ORDER BY id)) AS next
                FROM responses WHERE program_id = $1 AND id IN {PANEL_PRE}) m
            WHERE responses.program_id = $1 AND responses.id = m.id""",
        f"SET panel_member_id = NULL WHERE program_id = $1 AND id IN {PANEL_PRE}",
        "SET site_id = (SELECT min(w.site_id) FROM wave_sites w WHERE w.program_id = $1 "
        "AND w.wave_id = responses.wave_id AND w.site_id <> responses.site_id) "
        f"WHERE program_id = $1 AND id IN {PANEL_PRE}",
        f"SET status = 'partial', submitted_at = NULL WHERE program_id = $1 AND id IN {PANEL_PRE}",
        "SET wave_id = (SELECT id FROM waves WHERE program_id = $1 AND id <> $2) "
        f"WHERE program_id = $1 AND id IN {PANEL_PRE}",
    ],
    ids=["flagged", "members-swapped", "left-the-panel", "moved-site", "reopened", "moved-wave"],
)
async def test_a_change_to_panel_responses_brings_the_pairs_up_to_date(
    conn: Conn, resources: Resources, seeded: Seeded, change: str
) -> None:
    """0015_report_cache_changes: the changed responses' panel rows are taken back and
    added as they are now, and each kept table takes away the pairs of their members
    as it saw them, and adds them as they are now."""
    before = await assert_reports_fresh(conn, resources, seeded)
    built = await kept(conn, seeded)
    assert len(built) == 4
    await conn.execute(f"UPDATE responses {change}", seeded.program_id, seeded.pre_id)
    after = await assert_reports_fresh(conn, resources, seeded)
    assert paired(after[(True, True)]) != paired(before[(True, True)])
    # Brought up to date, not worked out again, and the same as worked out again.
    assert await kept(conn, seeded) == built
    assert await tables(conn, seeded) == await rebuilt(conn, resources, seeded)


async def test_an_edit_by_hand_of_pre_answers_drops_the_pairs(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    before = await assert_reports_fresh(conn, resources, seeded)
    built = await kept(conn, seeded)
    # It calls report_cache_invalidate, as 0005 asks.
    await conn.execute(
        "WITH e AS (UPDATE answers SET value_num = 6 - value_num WHERE program_id = $1 "
        "AND value_num IS NOT NULL AND response_id IN (SELECT id FROM responses "
        "WHERE program_id = $1 AND wave_id = $2 AND panel_member_id IS NOT NULL "
        "ORDER BY id LIMIT 5) RETURNING 1) "
        "SELECT report_cache_invalidate($1, $2) WHERE EXISTS (SELECT FROM e)",
        seeded.program_id,
        seeded.pre_id,
    )
    after = await assert_reports_fresh(conn, resources, seeded)
    # Worked out again from nothing, not brought up to date.
    rebuilt_at = await kept(conn, seeded)
    assert len(rebuilt_at) == len(built) == 4
    assert all(new[2] > old[2] for new, old in zip(rebuilt_at, built, strict=True))
    assert paired(after[(True, True)]) != paired(before[(True, True)])


def panel_rows_visited(plan: dict[str, Any]) -> int:
    """Rows the plan read from report_cache_panel, over every loop of every scan."""
    seen = 0
    if plan.get("Relation Name") == "report_cache_panel":
        kept_or_dropped = (
            plan["Actual Rows"]
            + plan.get("Rows Removed by Filter", 0)
            + plan.get("Rows Removed by Index Recheck", 0)
        )
        seen += round(kept_or_dropped * plan["Actual Loops"])
    for child in plan.get("Plans", []):
        seen += panel_rows_visited(child)
    return seen


async def test_bringing_pairs_up_to_date_reads_the_panel_rows_a_few_times_whatever_the_statistics(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    """Statistics taken before a program's or a signature's panel rows were written say
    it has none; on them the planner had looped over every row of the signature for
    each touched member (154 s at a million responses). The refresh must stay a few
    scans however wrong the guesses are."""
    from survey.sql import Q

    await report(conn, resources, seeded, weighted=False, dup=False)
    sig, _, _ = (await kept(conn, seeded))[0]
    rows = await conn.fetchval(
        "SELECT count(*) FROM report_cache_panel WHERE program_id = $1 AND signature = $2",
        seeded.program_id,
        sig,
    )
    assert rows > 50
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute("ANALYZE report_cache_panel")
        for column, value, width in (("signature", "{not-this-one}", 33), ("program_id", "{0}", 8)):
            assert await conn.fetchval(
                "SELECT pg_restore_attribute_stats('schemaname', 'public', 'relname', "
                "'report_cache_panel', 'attname', $1::text, 'inherited', false, "
                "'null_frac', 0::real, 'avg_width', $3::integer, 'n_distinct', 1::real, "
                "'most_common_vals', $2::text, 'most_common_freqs', '{1.0}'::real[])",
                column,
                value,
                width,
            )
        # As if every panel row had been appended since the pairs were kept.
        await conn.execute(
            "UPDATE report_cache_pairs SET pre_batch = pre_batch - 1, "
            "post_batch = post_batch - 1 WHERE program_id = $1",
            seeded.program_id,
        )
        plan = await conn.fetchval(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + Q.report_cache_pairs_refresh,
            seeded.program_id,
            [seeded.pre_id, seeded.post_id],
            False,
            sig,
        )
        visited = panel_rows_visited(plan[0]["Plan"])  # json comes decoded (survey.db)
    finally:
        await tx.rollback()  # nothing kept of the statistics or the pairs
    assert rows <= visited <= 4 * rows
