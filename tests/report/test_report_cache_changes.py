"""A completed response changed later is taken back out of its wave's report cache and
added as it is now, not rebuilt (survey/migrations/0015_report_cache_changes.sql).

Each test builds the caches through a report's own path and changes responses the
way a reviewer or an administrator would: flags, moves to another site or wave,
language and panel corrections, reopenings, several in a row, one in flight during a
refresh, deletions (0018_report_cache_deletions.sql), answers edited or removed by
hand (0019_answers_edited.sql). Each report must then equal the from-scratch scan, and
no cache may have been built again. report_cache_invalidate, which whoever adds an
answer by hand calls, still empties the wave's cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from seeded_db import seeded_database

from survey import db
from survey.db import Conn
from survey.embedded import EmbeddedPostgres
from survey.report.seeding import Seeded, seed_program
from survey.resources import Resources
from survey.sql import Q
from tests.report.test_report_cache import (
    DESIGN,
    FIRST_COMPLETE,
    assert_cache_matches,
    cache_states,
    completes,
    counts,
)


@pytest.fixture(scope="module")
def seeded_template(
    pg_server: EmbeddedPostgres, template_db: str, resources_base: Resources
) -> Iterator[tuple[str, Seeded]]:
    """The program every test starts from, seeded once (tests/seeded_db.py)."""

    async def seed(conn: Conn) -> Seeded:
        return await seed_program(conn, resources_base, DESIGN, slug="changes", seed=11)

    with seeded_database(pg_server, template_db, seed) as made:
        yield made


@pytest.fixture
def database_template(seeded_template: tuple[str, Seeded]) -> str:
    return seeded_template[0]

@pytest.fixture
def seeded(seeded_template: tuple[str, Seeded], database_url: str) -> Seeded:
    return seeded_template[1]


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
        # Deleted, panel members among them: taken back with the answers they had.
        (
            [
                "DELETE FROM responses WHERE program_id = $1 AND id IN (SELECT id "
                "FROM responses WHERE program_id = $1 AND status = 'complete' "
                "ORDER BY panel_member_id IS NULL, id LIMIT 5)",
            ],
            True,
        ),
        # Flagged and moved, then deleted: the version before the first is taken back.
        (
            [
                f"SET duplicate_suspect = true WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
                f"SET wave_id = {POST_WAVE} WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
                f"DELETE FROM responses WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
            ],
            True,
        ),
        # Answers edited by hand: Likert answers reversed and the age band (a weighting
        # cell) changed, in two transactions; or one answer removed (0019).
        (
            [
                "UPDATE answers SET value_num = 6 - value_num WHERE program_id = $1 "
                f"AND response_id = {FIRST_COMPLETE} AND value_num BETWEEN 1 AND 5",
                "UPDATE answers SET value_codes = CASE WHEN value_codes = '{75_plus}' "
                "THEN '{18_24}'::text[] ELSE '{75_plus}' END WHERE program_id = $1 "
                f"AND response_id = {FIRST_COMPLETE} AND item_id = 'age_band'",
            ],
            True,
        ),
        (
            [
                "DELETE FROM answers WHERE program_id = $1 AND response_id = "
                f"{FIRST_COMPLETE} AND item_id = (SELECT min(item_id) FROM answers "
                f"WHERE program_id = $1 AND response_id = {FIRST_COMPLETE} "
                "AND value_num BETWEEN 1 AND 5)",
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
        "deleted",
        "changed-then-deleted",
        "answers-edited",
        "answer-removed",
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
        if change.startswith("SET"):
            change = f"UPDATE responses {change}"
        await conn.execute(change, seeded.program_id)
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


async def test_a_reopened_response_answered_again_is_taken_back_as_it_was_counted(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    """Reopened, its answers changed through the survey's own statements (a partial
    response takes answers), reported, then completed again and reported: each refresh
    takes back the answers the cache counted, not those the response has now
    (0016_report_cache_changes_answers)."""
    await assert_cache_matches(conn, resources, seeded)
    since = await built(conn, seeded)
    pid = seeded.program_id
    rid = await conn.fetchval(FIRST_COMPLETE[1:-1], pid)
    await conn.execute(
        "UPDATE responses SET status = 'partial', submitted_at = NULL "
        "WHERE program_id = $1 AND id = $2",
        pid,
        rid,
    )
    flipped = 0
    for a in await conn.fetch(Q.response_answers, pid, rid):
        if a["value_num"] is not None and 1 <= a["value_num"] <= 5 and a["value_num"] != 3:
            await conn.execute(
                Q.response_answer_upsert, pid, rid, a["item_id"], 6 - a["value_num"],
                a["value_text"], a["value_codes"], a["missing"],
            )
            flipped += 1
        elif a["item_id"] == "age_band":  # a weighting cell
            band = "18_24" if a["value_codes"] != ["18_24"] else "75_plus"
            await conn.execute(
                Q.response_answer_upsert, pid, rid, "age_band", None, None, [band], None
            )
            flipped += 1
    assert flipped > 5
    await assert_cache_matches(conn, resources, seeded)
    completed = await conn.fetchrow(Q.response_complete, pid, rid, "en")
    assert completed is not None
    await assert_cache_matches(conn, resources, seeded)
    await assert_kept(conn, seeded, since)


async def test_changes_recorded_before_0016_empty_their_waves_caches(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    """A change 0015 recorded has no answers kept: 0016 empties its wave's caches, and
    the next report builds them again and equals a scan."""
    from survey.migrations import MIGRATIONS_DIR

    text = (MIGRATIONS_DIR / "0016_report_cache_changes_answers.sql").read_text("utf-8")
    upgrade = text[text.index("DO $$") :]
    await assert_cache_matches(conn, resources, seeded)
    wave = await conn.fetchval(
        f"SELECT wave_id FROM responses WHERE program_id = $1 AND id = {FIRST_COMPLETE}",
        seeded.program_id,
    )
    await conn.execute(
        f"UPDATE responses SET duplicate_suspect = true WHERE program_id = $1 "
        f"AND id = {FIRST_COMPLETE}",
        seeded.program_id,
    )
    await conn.execute(
        "UPDATE report_cache_changes SET old_num_items = NULL, old_num_values = NULL, "
        "old_code_items = NULL, old_codes = NULL WHERE program_id = $1",
        seeded.program_id,
    )
    await conn.execute(upgrade)
    assert [w for w, _, _ in await cache_states(conn, seeded)] == [
        w for w in (seeded.pre_id, seeded.post_id) if w != wave
    ]
    assert await conn.fetchval("SELECT count(*) FROM report_cache_changes") == 0
    await assert_cache_matches(conn, resources, seeded)


# An edit in bulk: 0019's triggers turned off for the transaction, which then calls
# report_cache_invalidate, as whoever adds answers by hand (no trigger: it would tax
# every page) does too.
EDIT_IN_BULK = [
    "SET LOCAL survey.edit_in_bulk = on",
    "UPDATE answers SET value_num = 6 - value_num WHERE program_id = $1 "
    f"AND response_id = {FIRST_COMPLETE} AND value_num IS NOT NULL",
]
INVALIDATE = (
    "SELECT report_cache_invalidate($1, id) FROM waves WHERE program_id = $1 AND phase = 'pre'"
)
PENDING = (
    "SELECT (SELECT count(*) FROM report_cache_changes WHERE program_id = $1) "
    "+ (SELECT count(*) FROM export_cells_pending WHERE program_id = $1)"
)


async def test_report_cache_invalidate_empties_its_waves_cache(
    conn: Conn, resources: Resources, seeded: Seeded
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
    recorded = await conn.fetchval(PENDING, seeded.program_id)
    async with conn.transaction():
        await conn.execute(EDIT_IN_BULK[0])
        await conn.execute(EDIT_IN_BULK[1], seeded.program_id)
        assert await conn.fetchval(PENDING, seeded.program_id) == recorded  # nothing
        await conn.execute(INVALIDATE, seeded.program_id)
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
