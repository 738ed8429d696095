"""The report cache gives exactly what a full scan gives, however responses arrive.

Each test seeds a small program, builds the cache through a report's own path
(``aggregate.fetch_counts``) and checks it against ``aggregate.scan_counts``, the
from-scratch query, after responses are added, committed out of order, or changed
during a build; changes to completed responses are in test_report_cache_changes.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, cast

import pytest
from seeded_db import seeded_database

from survey import db
from survey.db import Conn
from survey.embedded import EmbeddedPostgres
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


@pytest.fixture(scope="module")
def seeded_template(
    pg_server: EmbeddedPostgres, template_db: str, resources_base: Resources
) -> Iterator[tuple[str, Seeded]]:
    """The program every test starts from, seeded once (tests/seeded_db.py)."""

    async def seed(conn: Conn) -> Seeded:
        return await seed_program(conn, resources_base, DESIGN, slug="cache", seed=11)

    with seeded_database(pg_server, template_db, seed) as made:
        yield made


@pytest.fixture
def database_template(seeded_template: tuple[str, Seeded]) -> str:
    return seeded_template[0]

@pytest.fixture
def seeded(seeded_template: tuple[str, Seeded], database_url: str) -> Seeded:
    return seeded_template[1]


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


class RefreshAfterResponses:
    """A connection whose every COPY into responses is followed at once by a report on
    another connection: where the server's own warmer (``warm_beside_server``) may
    refresh the caches, between two statements of whoever writes responses."""

    def __init__(self, conn: Conn, refresh: Callable[[], Awaitable[None]]) -> None:
        self.conn = conn
        self.refresh = refresh
        self.refreshes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    async def copy_records_to_table(self, table: str, **kwargs: Any) -> str:
        done: str = await self.conn.copy_records_to_table(table, **kwargs)
        if table == "responses":
            await self.refresh()
            self.refreshes += 1
        return done


async def test_a_refresh_between_the_seeders_statements_sees_a_block_whole_or_not_at_all(
    conn: Conn, resources: Resources, seeded: Seeded, database_url: str
) -> None:
    """The seeder writes a block's complete responses, then their answers. Had each its
    own transaction, a refresh between the two counted the responses without answers,
    and never their answers after (the cache adds a response once, when it is
    completed): the report was wrong until the wave was built again. Seen once, with a
    server's warmer refreshing while test_cache_warm_server added responses."""
    await assert_cache_matches(conn, resources, seeded)
    other = await db.connect(database_url)
    try:

        async def refresh() -> None:
            for dup in (False, True):
                for weight in ((), WEIGHT_ITEMS):
                    await counts(other, resources, seeded, cached=True, dup=dup, weight=weight)

        spied = RefreshAfterResponses(conn, refresh)
        await add_responses(cast(Conn, spied), resources, seeded, seed=17)
        assert spied.refreshes == 2 * len(seeded.site_ids)
    finally:
        await other.close()
    await assert_cache_matches(conn, resources, seeded)


FIRST_COMPLETE = "(SELECT min(id) FROM responses WHERE program_id = $1 AND status = 'complete')"


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
