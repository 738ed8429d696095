"""The report cache gives exactly what a full scan gives, however responses arrive.

Each test seeds a small program, builds the cache through a report's own path
(``aggregate.fetch_counts``) and checks it against ``aggregate.scan_counts``, the
from-scratch query, after responses are added, committed out of order, flagged,
moved, reopened, edited or deleted.
"""

from __future__ import annotations

from typing import Any

import pytest

from survey import db
from survey.db import Conn
from survey.report import aggregate
from survey.report.aggregate import Aggregates
from survey.report.cache import COMPACT_AFTER
from survey.report.seeding import Seeded, seed_program, write_responses
from survey.report.synthetic import SiteDesign
from survey.resources import Resources

DESIGN = [
    SiteDesign("North", 30, 34, {"trust": 0.5}),
    SiteDesign("South", 24, 22),
    SiteDesign("Small", 6, 5),
]
WEIGHT_ITEMS = ("age_band", "gender")


def normalised(agg: Aggregates) -> dict[str, Any]:
    return {
        "cells": {k: sorted(v, key=repr) for k, v in agg.cells.items()},
        "scores": {k: sorted(v, key=repr) for k, v in agg.scores.items()},
        "items": {k: sorted(v, key=repr) for k, v in agg.items.items()},
        "paired": {k: sorted(v) for k, v in agg.paired.items()},
        "alpha": dict(agg.alpha),
        "fieldwork": sorted(tuple(sorted(r.items())) for r in agg.fieldwork.get("responses", [])),
    }


async def counts(
    conn: Conn,
    res: Resources,
    s: Seeded,
    *,
    cached: bool,
    dup: bool = False,
    weight: tuple[str, ...] = (),
) -> dict[str, Any]:
    q = res.questionnaires["community-trust"]
    specs = aggregate.construct_specs(q)
    fetch = aggregate.fetch_counts if cached else aggregate.scan_counts
    async with conn.transaction():
        agg = await fetch(
            conn,
            s.program_id,
            (s.pre_id, s.post_id),
            exclude_duplicates=dup,
            weight_items=weight,
            specs=specs,
            items=[i.id for i in aggregate.likert_items(q)],
        )
    return normalised(agg)


async def assert_cache_matches(conn: Conn, res: Resources, s: Seeded) -> None:
    for dup in (False, True):
        for weight in ((), WEIGHT_ITEMS):
            cached = await counts(conn, res, s, cached=True, dup=dup, weight=weight)
            assert cached == await counts(conn, res, s, cached=False, dup=dup, weight=weight)


async def cache_states(conn: Conn, s: Seeded) -> list[tuple[int, int, int]]:
    """The caches of one signature that a report may extend: those whose wave was not
    invalidated since they were built (0013_cache_epoch)."""
    rows = await conn.fetch(
        "SELECT c.wave_id, c.responses, c.batches FROM report_cache_state c "
        "JOIN waves w ON w.program_id = c.program_id AND w.id = c.wave_id "
        "AND w.cache_epoch = c.epoch "
        "WHERE c.program_id = $1 AND c.signature = (SELECT min(signature) "
        "FROM report_cache_state WHERE program_id = $1) ORDER BY c.wave_id",
        s.program_id,
    )
    return [(r["wave_id"], r["responses"], r["batches"]) for r in rows]


async def completes(conn: Conn, s: Seeded, wave_id: int) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM responses WHERE program_id = $1 AND wave_id = $2 "
            "AND status = 'complete'",
            s.program_id,
            wave_id,
        )
    )


async def add_responses(conn: Conn, res: Resources, s: Seeded, seed: int, n: int = 3) -> None:
    q = res.questionnaires["community-trust"]
    qhash = await conn.fetchval(
        "SELECT questionnaire_hash FROM waves WHERE program_id = $1 AND id = $2",
        s.program_id,
        s.post_id,
    )
    designs = [SiteDesign(name, n, n + 1) for name in s.site_ids]
    await write_responses(
        conn, q, qhash, s.program_id, designs, s.site_ids, (s.pre_id, s.post_id), seed=seed
    )


@pytest.fixture
async def seeded(conn: Conn, resources: Resources) -> Seeded:
    return await seed_program(conn, resources, DESIGN, slug="cache", seed=11)


async def test_cache_is_built_then_extended_by_what_was_added(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    await assert_cache_matches(conn, resources, seeded)
    first = await cache_states(conn, seeded)
    assert [n for _, n, _ in first] == [
        await completes(conn, seeded, seeded.pre_id),
        await completes(conn, seeded, seeded.post_id),
    ]
    async with conn.transaction():
        await add_responses(conn, resources, seeded, seed=12)
    await assert_cache_matches(conn, resources, seeded)
    second = await cache_states(conn, seeded)
    # Extended by a batch of the new responses, not rebuilt.
    assert [b for _, _, b in second] == [2, 2]
    assert [n - m for (_, n, _), (_, m, _) in zip(second, first, strict=True)] == [9, 12]


async def test_a_transaction_in_flight_during_a_refresh_is_counted_after_it_commits(
    conn: Conn, resources: Resources, seeded: Seeded, database_url: str
) -> None:
    from survey import db

    await assert_cache_matches(conn, resources, seeded)
    other = await db.connect(database_url)
    try:
        tx = other.transaction()
        await tx.start()
        await add_responses(other, resources, seeded, seed=13)
        # The report refreshes while those responses are written but not committed.
        await assert_cache_matches(conn, resources, seeded)
        before = await cache_states(conn, seeded)
        await tx.commit()
    finally:
        await other.close()
    await assert_cache_matches(conn, resources, seeded)
    after = await cache_states(conn, seeded)
    assert [m - n for (_, n, _), (_, m, _) in zip(before, after, strict=True)] == [9, 12]


FIRST_COMPLETE = "(SELECT min(id) FROM responses WHERE program_id = $1 AND status = 'complete')"
FIRST_IN_PANEL = (
    "(SELECT min(id) FROM responses WHERE program_id = $1 AND status = 'complete' "
    "AND panel_member_id IS NOT NULL AND wave_id = (SELECT wave_id FROM responses "
    f"WHERE program_id = $1 AND id = {FIRST_COMPLETE}))"
)
OTHER_SITE = (
    "(SELECT min(w.site_id) FROM wave_sites w WHERE w.program_id = $1 "
    "AND w.wave_id = responses.wave_id AND w.site_id <> responses.site_id)"
)
POST_WAVE = "(SELECT id FROM waves WHERE program_id = $1 AND phase = 'post')"


async def built(conn: Conn, s: Seeded) -> dict[tuple[int, str], Any]:
    """When each cache of the program was built from nothing, by wave and signature."""
    rows = await conn.fetch(
        "SELECT wave_id, signature, built_at FROM report_cache_state WHERE program_id = $1",
        s.program_id,
    )
    return {(r["wave_id"], r["signature"]): r["built_at"] for r in rows}


async def assert_kept(conn: Conn, s: Seeded, since: dict[tuple[int, str], Any]) -> None:
    """No cache was built again since ``since``, and each holds its wave's responses."""
    assert await built(conn, s) == since
    assert [n for _, n, _ in await cache_states(conn, s)] == [
        await completes(conn, s, s.pre_id),
        await completes(conn, s, s.post_id),
    ]


@pytest.mark.parametrize(
    ("changes", "moves_figures"),
    [
        ([f"SET duplicate_suspect = true WHERE program_id = $1 AND id = {FIRST_COMPLETE}"], True),
        # The fieldwork counts follow the channel and the invitation (0011).
        (
            [
                "SET channel = CASE channel WHEN 'paper' THEN 'web' ELSE 'paper' END "
                f"WHERE program_id = $1 AND id = {FIRST_COMPLETE}"
            ],
            True,
        ),
        ([f"SET site_id = {OTHER_SITE} WHERE program_id = $1 AND id = {FIRST_COMPLETE}"], True),
        (
            [
                "SET language = CASE language WHEN 'es' THEN 'en' ELSE 'es' END "
                f"WHERE program_id = $1 AND id = {FIRST_COMPLETE}"
            ],
            True,
        ),
        (
            [
                "SET status = 'partial', submitted_at = NULL "
                f"WHERE program_id = $1 AND id = {FIRST_COMPLETE}"
            ],
            True,
        ),
        ([f"SET wave_id = {POST_WAVE} WHERE program_id = $1 AND id = {FIRST_COMPLETE}"], True),
        # Their pair goes.
        ([f"SET panel_member_id = NULL WHERE program_id = $1 AND id = {FIRST_IN_PANEL}"], True),
        (
            [
                "SET submitted_at = submitted_at + interval '1 day' "
                f"WHERE program_id = $1 AND id = {FIRST_IN_PANEL}"
            ],
            False,
        ),
        # One response changed three times, and others, each in its own transaction: the
        # cache counted the version before the first.
        (
            [
                "SET duplicate_suspect = true WHERE program_id = $1 AND id IN (SELECT id "
                "FROM responses WHERE program_id = $1 AND status = 'complete' "
                "ORDER BY id LIMIT 5)",
                f"SET site_id = {OTHER_SITE}, duplicate_suspect = false "
                f"WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
                "SET language = CASE language WHEN 'es' THEN 'en' ELSE 'es' END "
                f"WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
            ],
            True,
        ),
        # Reopened, then completed again by another transaction: a new completion.
        (
            [
                "SET status = 'partial', submitted_at = NULL "
                f"WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
                "SET status = 'complete', submitted_at = now(), duplicate_suspect = true "
                "WHERE program_id = $1 AND id = (SELECT min(id) FROM responses "
                "WHERE program_id = $1 AND status = 'partial' AND submitted_at IS NULL "
                "AND completed_xid IS NOT NULL)",
            ],
            True,
        ),
    ],
    ids=[
        "flagged",
        "channel-changed",
        "moved-site",
        "language-changed",
        "reopened",
        "moved-wave",
        "left-the-panel",
        "submitted-later",
        "changed-three-times",
        "reopened-and-completed-again",
    ],
)
async def test_a_completed_response_changed_later_is_taken_back_not_rebuilt(
    conn: Conn, resources: Resources, seeded: Seeded, changes: list[str], moves_figures: bool
) -> None:
    """0015_report_cache_changes: the cache takes back what the response added to it and
    adds it as it is now, in both waves when it moves, without building anything again."""
    await assert_cache_matches(conn, resources, seeded)
    before = await counts(conn, resources, seeded, cached=True, dup=True)
    since = await built(conn, seeded)
    assert len(since) == 4  # two waves, weighted and not
    for change in changes:
        await conn.execute(f"UPDATE responses {change}", seeded.program_id)
    assert len(await cache_states(conn, seeded)) == 2  # neither wave invalidated
    after = await counts(conn, resources, seeded, cached=True, dup=True)
    assert (after != before) is moves_figures
    await assert_cache_matches(conn, resources, seeded)
    await assert_kept(conn, seeded, since)


async def test_changes_between_reports_are_each_taken_back_once(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    """A response flagged, reported, cleared, reported, moved: each report takes back
    the version the one before it counted, and no more."""
    steps = [
        f"SET duplicate_suspect = true WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
        f"SET duplicate_suspect = false WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
        f"SET site_id = {OTHER_SITE} WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
        f"SET wave_id = {POST_WAVE} WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
    ]
    await assert_cache_matches(conn, resources, seeded)
    since = await built(conn, seeded)
    for step in steps:
        await conn.execute(f"UPDATE responses {step}", seeded.program_id)
        await assert_cache_matches(conn, resources, seeded)
    await assert_kept(conn, seeded, since)


async def test_a_change_in_flight_during_a_refresh_is_taken_back_after_it_commits(
    conn: Conn, resources: Resources, seeded: Seeded, database_url: str
) -> None:
    """The refresh's snapshot cannot see a change not yet committed: it counts the
    response as it was, and the refresh after the commit takes that version back."""
    await assert_cache_matches(conn, resources, seeded)
    since = await built(conn, seeded)
    other = await db.connect(database_url)
    try:
        tx = other.transaction()
        await tx.start()
        await other.execute(
            f"UPDATE responses SET duplicate_suspect = true, site_id = {OTHER_SITE} "
            f"WHERE program_id = $1 AND id IN (SELECT id FROM responses WHERE program_id = $1 "
            f"AND status = 'complete' ORDER BY id DESC LIMIT 4)",
            seeded.program_id,
        )
        during = await counts(conn, resources, seeded, cached=True, dup=True)
        await assert_cache_matches(conn, resources, seeded)
        await tx.commit()
    finally:
        await other.close()
    after = await counts(conn, resources, seeded, cached=True, dup=True)
    assert after != during
    await assert_cache_matches(conn, resources, seeded)
    await assert_kept(conn, seeded, since)


@pytest.mark.parametrize(
    "change",
    [
        # A deleted response has no answers left to take back.
        "DELETE FROM responses WHERE program_id = $1 AND id IN "
        "(SELECT id FROM responses WHERE program_id = $1 AND status = 'complete' LIMIT 5)",
        # Answers have no trigger (it would tax every page): an edit by hand says so.
        f"WITH e AS (UPDATE answers SET value_num = 6 - value_num WHERE program_id = $1 "
        f"AND response_id = {FIRST_COMPLETE} AND value_num IS NOT NULL RETURNING 1) "
        f"SELECT report_cache_invalidate($1, id) FROM waves "
        f"WHERE program_id = $1 AND phase = 'pre' AND EXISTS (SELECT FROM e)",
    ],
    ids=["responses-deleted", "answers-edited-by-hand"],
)
async def test_a_deleted_response_or_an_edit_by_hand_empties_its_waves_cache(
    conn: Conn, resources: Resources, seeded: Seeded, change: str
) -> None:
    await assert_cache_matches(conn, resources, seeded)
    # A change recorded before: moving the epoch forgets it, and the rebuild counts it.
    await conn.execute(
        "UPDATE responses SET duplicate_suspect = true WHERE program_id = $1 AND id = "
        "(SELECT max(id) FROM responses WHERE program_id = $1 AND status = 'complete' "
        "AND wave_id = (SELECT id FROM waves WHERE program_id = $1 AND phase = 'pre'))",
        seeded.program_id,
    )
    before = await counts(conn, resources, seeded, cached=True, dup=True)
    assert len(await cache_states(conn, seeded)) == 2
    await conn.execute(change, seeded.program_id)
    # The changed responses are all in the pre wave: its cache is out of date, the
    # other is not.
    assert [w for w, _, _ in await cache_states(conn, seeded)] == [seeded.post_id]
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM report_cache_changes WHERE program_id = $1 AND wave_id = $2",
            seeded.program_id,
            seeded.pre_id,
        )
        == 0
    )
    after = await counts(conn, resources, seeded, cached=True, dup=True)
    assert after != before
    await assert_cache_matches(conn, resources, seeded)


async def test_a_change_during_a_build_neither_waits_for_it_nor_is_lost(
    conn: Conn, resources: Resources, seeded: Seeded, database_url: str
) -> None:
    """A build holds its wave's refresh lock until its transaction ends: a minute for a
    wave of half a million responses. A change to a completed response must not wait
    for it (0013_cache_epoch), and the cache that build leaves must not hide it."""
    await assert_cache_matches(conn, resources, seeded)
    await conn.execute("SELECT report_cache_invalidate($1, $2)", seeded.program_id, seeded.pre_id)
    building = conn.transaction()
    await building.start()
    try:
        # Built from nothing and read, under the wave's lock, not committed yet.
        during = await counts(conn, resources, seeded, cached=True, dup=True)
        other = await db.connect(database_url)
        try:
            await other.execute("SET statement_timeout = '3s'")
            await other.execute(
                f"UPDATE responses SET duplicate_suspect = true WHERE program_id = $1 "
                f"AND id = {FIRST_COMPLETE}",
                seeded.program_id,
            )
        finally:
            await other.close()
    finally:
        await building.commit()
    # The build committed a cache from before the change; the next report has it.
    after = await counts(conn, resources, seeded, cached=True, dup=True)
    assert after != during
    await assert_cache_matches(conn, resources, seeded)


async def test_the_service_never_writes_answers_to_a_response_completed_before(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    from survey.sql import Q

    await assert_cache_matches(conn, resources, seeded)
    response_id = await conn.fetchval(FIRST_COMPLETE, seeded.program_id)
    stored = await conn.fetch(
        "SELECT item_id, value_num FROM answers WHERE program_id = $1 AND response_id = $2 "
        "ORDER BY item_id",
        seeded.program_id,
        response_id,
    )
    async with conn.transaction():
        await conn.execute(
            Q.response_answer_upsert,
            seeded.program_id,
            response_id,
            stored[0]["item_id"],
            99.0,
            None,
            None,
            None,
        )
        await conn.execute(
            Q.response_answer_upsert,
            seeded.program_id,
            response_id,
            "new_item",
            1.0,
            None,
            None,
            None,
        )
        await conn.execute(Q.response_answers_keep_only, seeded.program_id, response_id, [])
    assert stored == await conn.fetch(
        "SELECT item_id, value_num FROM answers WHERE program_id = $1 AND response_id = $2 "
        "ORDER BY item_id",
        seeded.program_id,
        response_id,
    )
    assert len(await cache_states(conn, seeded)) == 2
    await assert_cache_matches(conn, resources, seeded)


async def test_answers_written_with_the_completion_keep_the_cache(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    await assert_cache_matches(conn, resources, seeded)
    # A paper import or a web submit writes answers and completes in one transaction.
    async with conn.transaction():
        await add_responses(conn, resources, seeded, seed=14, n=1)
    assert [b for _, _, b in await cache_states(conn, seeded)] == [1, 1]
    await assert_cache_matches(conn, resources, seeded)
    assert [b for _, _, b in await cache_states(conn, seeded)] == [2, 2]


async def test_many_refreshes_are_folded_and_still_match(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    for i in range(18):
        async with conn.transaction():
            await add_responses(conn, resources, seeded, seed=100 + i, n=1)
        await counts(conn, resources, seeded, cached=True)
    states = await cache_states(conn, seeded)
    assert all(b <= COMPACT_AFTER for _, _, b in states)
    assert [n for _, n, _ in states] == [
        await completes(conn, seeded, seeded.pre_id),
        await completes(conn, seeded, seeded.post_id),
    ]
    await assert_cache_matches(conn, resources, seeded)


async def test_without_its_triggers_the_report_scans_instead(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    # What 0006_citus.sql's survey_is_distributed() answers once Citus has the tables.
    await conn.execute(
        "CREATE OR REPLACE FUNCTION survey_is_distributed() RETURNS boolean "
        "LANGUAGE sql STABLE AS 'SELECT true'"
    )
    cached = await counts(conn, resources, seeded, cached=True)
    assert await cache_states(conn, seeded) == []
    assert cached == await counts(conn, resources, seeded, cached=False)


async def test_the_report_has_its_own_settings_outside_a_transaction(
    conn: Conn, resources: Resources, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """report-session's settings are local to a transaction. The CLI calls the report
    outside one: without a transaction of the report's own they lasted one statement,
    and the cache was built and read in the default work_mem (spilling to disk)."""
    from survey.access import SYSTEM
    from survey.report import build_report
    from survey.report.service import REPORT_WORK_MEM

    show = "SELECT current_setting('work_mem'), current_setting('statement_timeout')"
    seen = []
    fetch_counts = aggregate.fetch_counts

    async def spy(c: Conn, *args: Any, **kwargs: Any) -> Aggregates:
        seen.append(tuple(await c.fetchrow(show)))
        return await fetch_counts(c, *args, **kwargs)

    monkeypatch.setattr(aggregate, "fetch_counts", spy)
    before = tuple(await conn.fetchrow(show))
    assert before[0] != REPORT_WORK_MEM
    await build_report(conn, SYSTEM, resources, seeded.program_id)
    assert seen == [(REPORT_WORK_MEM, "10min")]
    assert tuple(await conn.fetchrow(show)) == before


async def test_the_upgrade_counts_what_caches_built_before_it_hold(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    """0011 fills report_cache_fieldwork for caches built before it: exactly their
    responses, not those completed since (the next refresh adds those)."""
    from survey.migrations import MIGRATIONS_DIR

    text = (MIGRATIONS_DIR / "0011_report_cache_fieldwork.sql").read_text(encoding="utf-8")
    start = text.index("    INSERT INTO report_cache_fieldwork")
    backfill = text[start : text.index(";", start)]
    kept = (
        "SELECT wave_id, signature, site_id, channel, language, invited, duplicate, "
        "sum(n) AS n FROM report_cache_fieldwork WHERE program_id = $1 "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7"
    )
    await assert_cache_matches(conn, resources, seeded)
    async with conn.transaction():
        await add_responses(conn, resources, seeded, seed=15)
    await assert_cache_matches(conn, resources, seeded)  # two batches
    async with conn.transaction():
        await add_responses(conn, resources, seeded, seed=16)  # in no cache yet
    before = [tuple(r) for r in await conn.fetch(kept, seeded.program_id)]
    assert len({r[1] for r in before}) == 2  # weighted and not
    await conn.execute(
        "DELETE FROM report_cache_fieldwork WHERE program_id = $1", seeded.program_id
    )
    assert await conn.fetch(kept, seeded.program_id) == []
    await conn.execute(backfill)
    assert [tuple(r) for r in await conn.fetch(kept, seeded.program_id)] == before
    await assert_cache_matches(conn, resources, seeded)
