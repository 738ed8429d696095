"""Pre-rendered export cells (migration 0007) never change what an export contains.

After every change a completed response can go through, the CSV served from the cells
is byte for byte the Python writer's file made from the answers, for an administrator
(free text) and for an evaluator (no free text, small sites withheld); and the cells
in use are the current ones.
"""

from __future__ import annotations

from typing import Any

import pytest
from seeding import paper_csv, seed_wave
from test_export_csv_copy import _both, _diff, awkward_wave, evaluator

from survey.access import SYSTEM
from survey.db import Conn
from survey.export import cells as export_cells
from survey.export import export_bytes, plan_export
from survey.export.paper import import_paper
from survey.migrations import MIGRATIONS_DIR

# The wave's cells an export may extend: none if the wave was invalidated since they
# were built (0013_cache_epoch), as if they were gone.
STATE = (
    "SELECT s.layout, s.responses FROM export_cells_state s JOIN waves w "
    "ON w.program_id = s.program_id AND w.id = s.wave_id AND w.cells_epoch = s.epoch "
    "WHERE s.program_id = $1 AND s.wave_id = $2"
)
CELLS = "SELECT count(*) FROM export_cells WHERE program_id = $1 AND wave_id = $2"
# Cells an export uses: of a response complete in the wave, by the same completion.
CURRENT = (
    "SELECT count(*) FROM export_cells c JOIN responses r ON r.program_id = c.program_id "
    "AND r.id = c.response_id AND r.wave_id = c.wave_id AND r.status = 'complete' "
    "AND r.completed_xid IS NOT DISTINCT FROM c.completed_xid "
    "WHERE c.program_id = $1 AND c.wave_id = $2"
)
# Which transaction wrote each of the wave's cells: the same after a change that renders
# nothing again.
WRITTEN = (
    "SELECT array_agg(xmin::text ORDER BY response_id) FROM export_cells "
    "WHERE program_id = $1 AND wave_id = $2"
)
# A layout the renderer chokes on (a multiple choice's options not a list).
CHOKE = 'UPDATE export_cells_state SET options = \'{"race_ethnicity": "oops"}\' WHERE wave_id = $1'
COMPLETES = (
    "SELECT count(*) FROM responses WHERE program_id = $1 AND wave_id = $2 AND status = 'complete'"
)


async def same_for_everyone(conn: Conn, res: Any, pid: int, wave_id: int) -> None:
    """Served == reference for an administrator and an evaluator, with cells in use."""
    for who in (SYSTEM, evaluator(pid)):
        reference, served = await _both(conn, res, who, pid, wave_id)
        assert served == reference, _diff(served, reference)
    completes = await conn.fetchval(COMPLETES, pid, wave_id)
    assert await conn.fetchval(CURRENT, pid, wave_id) == completes


async def test_cells_are_rendered_from_launch_on(conn: Conn, resources: Any, actors: Any) -> None:
    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    # The wave got its layout at launch; the paper responses were rendered as they
    # were imported (complete on arrival, answers inserted after the response row).
    state = await conn.fetchrow(STATE, pid, seeded.wave_id)
    assert state is not None and state["responses"] == 0
    completes = await conn.fetchval(COMPLETES, pid, seeded.wave_id)
    assert completes > 0 and await conn.fetchval(CELLS, pid, seeded.wave_id) == completes
    await same_for_everyone(conn, resources, pid, seeded.wave_id)


async def test_cells_are_built_by_the_first_export_and_used_after(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await awkward_wave(conn, resources, pid)
    # Emptied by the hand edits (as after an upgrade to 0007: no layout yet).
    assert await conn.fetchrow(STATE, pid, wave_id) is None
    await same_for_everyone(conn, resources, pid, wave_id)
    state = await conn.fetchrow(STATE, pid, wave_id)
    assert state is not None and state["responses"] > 0
    # The lines really come from the cells: spoil one and the export shows it.
    await conn.execute(
        "UPDATE export_cells SET cells = 'from the cells' WHERE response_id = "
        "(SELECT min(response_id) FROM export_cells WHERE wave_id = $1)",
        wave_id,
    )
    plan = await plan_export(conn, SYSTEM, resources, pid, wave_id)
    served = b"".join([p async for p in export_bytes(conn, plan, "csv")])
    assert b",from the cells\r\n" in served


async def test_new_completes_are_rendered_as_they_complete(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    before = await conn.fetchval(CELLS, pid, seeded.wave_id)
    # Paper responses arrive complete, their answers inserted after the row: the
    # cells are rendered at commit, with every answer.
    await import_paper(conn, SYSTEM, pid, seeded.wave_id, paper_csv(4, 2))
    assert await conn.fetchval(CELLS, pid, seeded.wave_id) == before + 6
    await same_for_everyone(conn, resources, pid, seeded.wave_id)


async def _partial(conn: Conn, pid: int, wave_id: int, site_id: int) -> int:
    rid: int = await conn.fetchval(
        "INSERT INTO responses (program_id, wave_id, site_id, language, channel, "
        "questionnaire_hash) SELECT $1, $2, $3, 'en', 'web', questionnaire_hash FROM waves "
        "WHERE id = $2 RETURNING id",
        pid, wave_id, site_id,
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO answers (program_id, response_id, item_id, value_num) "
        "VALUES ($1, $2, 'safety_dark', 2), ($1, $2, 'participate_count', 0.5)",
        pid, rid,
    )  # fmt: skip
    return rid


async def test_partials_and_responses_completed_later(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    first = await _partial(conn, pid, seeded.wave_id, seeded.big)
    second = await _partial(conn, pid, seeded.wave_id, seeded.big)
    # Partials are rendered from their answers at export time, in id order.
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    # Completed the way the web survey does: status first, the last page's answers
    # after it, in one transaction.
    async with conn.transaction():
        await conn.execute(
            "UPDATE responses SET status = 'complete', submitted_at = now() WHERE id = $1",
            first,
        )
        await conn.execute(
            "INSERT INTO answers (program_id, response_id, item_id, value_text) "
            "VALUES ($1, $2, 'comment', 'written, last')",
            pid, first,
        )  # fmt: skip
    cells = await conn.fetchval("SELECT cells FROM export_cells WHERE response_id = $1", first)
    assert cells is not None and '"written, last"' in cells
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    assert await conn.fetchval("SELECT status FROM responses WHERE id = $1", second) == "partial"


async def test_a_completed_response_edited_later(conn: Conn, resources: Any, actors: Any) -> None:
    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    rid = await conn.fetchval(
        "SELECT min(id) FROM responses WHERE wave_id = $1 AND status = 'complete'",
        seeded.wave_id,
    )
    # An edit by hand calls report_cache_invalidate, as 0005 asks: the wave's cells are
    # out of date, and the next export builds them again.
    async with conn.transaction():
        await conn.execute(
            "UPDATE answers SET value_num = 1, missing = NULL WHERE response_id = $1 "
            "AND item_id = 'safety_dark'",
            rid,
        )
        await conn.execute(
            "INSERT INTO answers (program_id, response_id, item_id, value_text) "
            "VALUES ($1, $2, 'comment', 'fixed \"by hand\"') ON CONFLICT (program_id, "
            "response_id, item_id) DO UPDATE SET value_text = excluded.value_text",
            pid, rid,
        )  # fmt: skip
        await conn.execute("SELECT report_cache_invalidate($1, $2)", pid, seeded.wave_id)
    assert await conn.fetchrow(STATE, pid, seeded.wave_id) is None
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    assert await conn.fetchrow(STATE, pid, seeded.wave_id) is not None
    # Reopened, answered differently and completed again by a later transaction. The
    # wave's cells stay (0014_cells_epoch): the reopened response is rendered from its
    # answers while it is not complete, and its cells again when it completes.
    state = await conn.fetchrow(STATE, pid, seeded.wave_id)
    await conn.execute("UPDATE responses SET status = 'partial', submitted_at = NULL "
                       "WHERE id = $1", rid)  # fmt: skip
    assert await conn.fetchrow(STATE, pid, seeded.wave_id) == state
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    async with conn.transaction():
        await conn.execute(
            "UPDATE answers SET value_num = 4 WHERE response_id = $1 AND item_id = 'safety_dark'",
            rid,
        )
        await conn.execute(
            "UPDATE responses SET status = 'complete', submitted_at = now() WHERE id = $1", rid
        )
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    # Moved to the small site, which then has enough responses for an evaluator.
    await conn.execute("UPDATE responses SET site_id = $2 WHERE id = $1", rid, seeded.small)
    await same_for_everyone(conn, resources, pid, seeded.wave_id)


async def test_a_completed_response_deleted(conn: Conn, resources: Any, actors: Any) -> None:
    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    state = await conn.fetchrow(STATE, pid, seeded.wave_id)
    await conn.execute(
        "DELETE FROM responses WHERE id = (SELECT max(id) FROM responses WHERE wave_id = $1)",
        seeded.wave_id,
    )
    # The response's cells went with it; the others stay current (0014_cells_epoch).
    assert await conn.fetchrow(STATE, pid, seeded.wave_id) == state
    await same_for_everyone(conn, resources, pid, seeded.wave_id)


async def test_a_completed_response_flagged_or_moved_keeps_the_cells(
    conn: Conn, resources: Any, actors: Any
) -> None:
    """The cells are the answers rendered; what a flag or a move changes is read from the
    response itself, so nothing is rendered again and the export is still right."""
    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    state = await conn.fetchrow(STATE, pid, seeded.wave_id)
    rendered = await conn.fetchval(WRITTEN, pid, seeded.wave_id)
    rid, site = await conn.fetchrow(
        "SELECT min(id), min(site_id) FROM responses WHERE wave_id = $1 AND status = 'complete'",
        seeded.wave_id,
    )
    other = await conn.fetchval(
        "SELECT max(site_id) FROM wave_sites WHERE program_id = $1 AND wave_id = $2",
        pid, seeded.wave_id,
    )  # fmt: skip
    assert other != site
    await conn.execute(
        "UPDATE responses SET duplicate_suspect = true, site_id = $2, language = 'es' "
        "WHERE id = $1",
        rid, other,
    )  # fmt: skip
    assert await conn.fetchrow(STATE, pid, seeded.wave_id) == state
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    # The exports read the cells as they were: none was rendered again.
    assert await conn.fetchval(WRITTEN, pid, seeded.wave_id) == rendered
    # The report caches, sums over exactly those columns, take the response back out
    # and add it as it is now (0015_report_cache_changes): neither epoch moved.
    assert await conn.fetchrow(
        "SELECT cache_epoch, cells_epoch FROM waves WHERE program_id = $1 AND id = $2",
        pid, seeded.wave_id,
    ) == (0, 0)  # fmt: skip
    assert await conn.fetchval(
        "SELECT count(*) FROM report_cache_changes WHERE program_id = $1 AND wave_id = $2 "
        "AND response_id = $3 AND old_site_id = $4 AND NOT old_duplicate",
        pid, seeded.wave_id, rid, site,
    ) == 1  # fmt: skip


async def test_a_completed_response_moved_to_another_wave_is_rendered_there(
    conn: Conn, resources: Any, actors: Any
) -> None:
    """0017: the move renders the response into the other wave's cells at its commit, as
    a completion there would; before, that wave exported it from its answers for ever."""
    pid = actors.programs["own"]
    first = await seed_wave(conn, resources, pid)
    second = await seed_wave(conn, resources, pid)
    for wave_id in (first.wave_id, second.wave_id):
        await same_for_everyone(conn, resources, pid, wave_id)
    rid = await conn.fetchval(
        "SELECT min(id) FROM responses WHERE wave_id = $1 AND status = 'complete'",
        first.wave_id,
    )
    await conn.execute("UPDATE responses SET wave_id = $2 WHERE id = $1", rid, second.wave_id)
    assert await conn.fetchval(
        "SELECT count(*) FROM export_cells c JOIN responses r ON r.id = c.response_id "
        "AND r.completed_xid = c.completed_xid WHERE c.wave_id = $1 AND c.response_id = $2",
        second.wave_id, rid,
    ) == 1  # fmt: skip
    for wave_id in (first.wave_id, second.wave_id):
        await same_for_everyone(conn, resources, pid, wave_id)
    # Moved before 0017: no cell in the new wave, until the migration renders it.
    await conn.execute(
        "DELETE FROM export_cells WHERE wave_id = $1 AND response_id = $2", second.wave_id, rid
    )
    text = (MIGRATIONS_DIR / "0017_export_cells_moved.sql").read_text("utf-8")
    await conn.execute(text[text.rindex("DO $$") :])
    await same_for_everyone(conn, resources, pid, second.wave_id)


async def test_a_new_layout_renders_the_wave_again(
    conn: Conn, resources: Any, actors: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = actors.programs["own"]
    wave_id = await awkward_wave(conn, resources, pid)
    await same_for_everyone(conn, resources, pid, wave_id)
    old = await conn.fetchval("SELECT layout FROM export_cells_state WHERE wave_id = $1", wave_id)
    # As after a release that changes the rendering rules: cells of the old layout are
    # never read, and the wave is rendered again.
    monkeypatch.setattr(export_cells, "RENDERING", export_cells.RENDERING + 1)
    await conn.execute("UPDATE export_cells SET cells = 'stale', public_cells = 'stale'")
    await same_for_everyone(conn, resources, pid, wave_id)
    new = await conn.fetchval("SELECT layout FROM export_cells_state WHERE wave_id = $1", wave_id)
    assert new != old
    assert await conn.fetchval("SELECT count(*) FROM export_cells WHERE layout <> $1", new) == 0


async def test_a_read_only_server_renders_from_the_answers(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await awkward_wave(conn, resources, pid)
    cells = await conn.fetch("SELECT * FROM export_cells WHERE wave_id = $1", wave_id)
    await conn.execute("SET default_transaction_read_only = on")
    for who in (SYSTEM, evaluator(pid)):
        reference, served = await _both(conn, resources, who, pid, wave_id)
        assert served == reference, _diff(served, reference)
    await conn.execute("SET default_transaction_read_only = off")
    # Nothing built, nothing written.
    assert await conn.fetchrow(STATE, pid, wave_id) is None
    assert await conn.fetch("SELECT * FROM export_cells WHERE wave_id = $1", wave_id) == cells


async def test_sav_from_cells_matches_sav_from_answers(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await awkward_wave(conn, resources, pid)
    plan = await plan_export(conn, SYSTEM, resources, pid, wave_id)
    await conn.execute("SET default_transaction_read_only = on")
    from_answers = b"".join([p async for p in export_bytes(conn, plan, "sav")])
    await conn.execute("SET default_transaction_read_only = off")
    from_cells = b"".join([p async for p in export_bytes(conn, plan, "sav")])
    assert await conn.fetchval(CELLS, pid, wave_id) > 0
    assert _no_date(from_cells) == _no_date(from_answers)


def _no_date(sav: bytes) -> bytes:
    # The header's creation date and time may differ between two files.
    return sav[:92] + sav[109:]


async def test_a_failed_render_never_fails_the_completion(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    before = await conn.fetchval(CELLS, pid, seeded.wave_id)
    await conn.execute(CHOKE, seeded.wave_id)
    out = await import_paper(conn, SYSTEM, pid, seeded.wave_id, paper_csv(4, 0))
    assert out.imported == 4
    assert await conn.fetchval(COMPLETES, pid, seeded.wave_id) == before + 4
    # Rows without a multiple choice answer render; the others are left out.
    assert before < await conn.fetchval(CELLS, pid, seeded.wave_id) < before + 4
    # The next export finds a different layout and renders the wave again.
    await same_for_everyone(conn, resources, pid, seeded.wave_id)


async def _fresh_batch(conn: Conn, pid: int, seeded: Any, n: int) -> list[Any]:
    """``n`` complete one-page responses for new personal invitations of the big site."""
    from survey.questionnaire import Answer
    from survey.schemas import InvitationsIn
    from survey.services import invitations
    from survey.services.submit_batch import Fresh

    await invitations.issue(conn, SYSTEM, pid, seeded.wave_id,
                            InvitationsIn(site_id=seeded.big, count=n), base_url="http://t")
    rows = await conn.fetch(
        "SELECT i.id, i.panel_member_id, w.questionnaire_hash FROM invitations i"
        " JOIN waves w ON w.program_id = i.program_id AND w.id = i.wave_id"
        " WHERE i.program_id = $1 AND i.wave_id = $2 ORDER BY i.id DESC LIMIT $3",
        pid, seeded.wave_id, n)
    return [
        Fresh(program_id=pid, wave_id=seeded.wave_id, site_id=seeded.big,
              invitation_id=row["id"], panel_member_id=row["panel_member_id"],
              language="es", questionnaire_hash=row["questionnaire_hash"], answers={
                  "trust_overall": Answer(value_num=float(k % 5 + 1)),
                  "race_ethnicity": Answer(value_codes=["asian", "white"][: k % 2 + 1]),
                  "comment": Answer(value_text=f'Quién, "dónde"\nlínea {k}'),
                  "contact_12m": Answer(missing="prefer_not"),
              })
        for k, row in enumerate(rows)
    ]


async def test_the_group_commit_renders_its_batch(conn: Conn, resources: Any, actors: Any) -> None:
    from survey.services.submit_batch import store_batch

    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    batch = await _fresh_batch(conn, pid, seeded, 5)
    ids = await store_batch(conn, batch)
    assert all(isinstance(i, int) for i in ids)
    # Rendered by the batch's own statement: stamped with the completing transaction.
    rendered = await conn.fetchval(
        "SELECT count(*) FROM export_cells c JOIN responses r ON r.program_id ="
        " c.program_id AND r.id = c.response_id WHERE c.response_id = ANY($1::bigint[])"
        " AND c.completed_xid = r.completed_xid", ids)
    assert rendered == 5
    await same_for_everyone(conn, resources, pid, seeded.wave_id)


async def test_a_failed_batch_render_never_fails_the_batch(
    conn: Conn, resources: Any, actors: Any
) -> None:
    from survey.services.submit_batch import store_batch

    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    before = await conn.fetchval(CELLS, pid, seeded.wave_id)
    await conn.execute(CHOKE, seeded.wave_id)
    ids = await store_batch(conn, await _fresh_batch(conn, pid, seeded, 3))
    assert all(isinstance(i, int) for i in ids)  # every response stored
    # Each has a multiple choice answer the layout chokes on: no cells for them.
    assert await conn.fetchval(CELLS, pid, seeded.wave_id) == before
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
