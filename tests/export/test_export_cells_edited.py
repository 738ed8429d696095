"""Answers of a completed response edited by hand (migration 0019_answers_edited.sql).

The edited response's cell is rendered again at commit, once, and no other: the wave's
cells stay current, and the CSV served from them is the reference writer's file made
from the answers. Where the renderer fails, the cell goes and the export renders that
response from its answers; the edit stands either way.
"""

from __future__ import annotations

from typing import Any

from seeding import seed_wave
from test_export_cells import CELLS, CHOKE, STATE, WRITTEN, same_for_everyone
from test_export_csv_copy import _both, _diff, evaluator

from survey.access import SYSTEM
from survey.db import Conn

# The first complete response with an answer of the kind given.
FIRST = (
    "SELECT min(r.id) FROM responses r JOIN answers a ON a.program_id = r.program_id "
    "AND a.response_id = r.id WHERE r.program_id = $1 AND r.wave_id = $2 "
    "AND r.status = 'complete' AND a.missing IS NULL AND {}"
)
# Numbers moved, a free text answer rewritten with a quote and a comma, a single
# choice answer removed: three statements in one transaction.
EDITS = [
    "UPDATE answers SET value_num = value_num + 1 WHERE program_id = $1 "
    "AND response_id = $2 AND value_num IS NOT NULL",
    "UPDATE answers SET value_text = 'corrected by \"hand\", later' WHERE program_id = $1 "
    "AND response_id = $2 AND value_text IS NOT NULL",
    "DELETE FROM answers WHERE program_id = $1 AND response_id = $2 AND item_id = "
    "(SELECT min(item_id) FROM answers WHERE program_id = $1 AND response_id = $2 "
    "AND cardinality(value_codes) = 1)",
]


async def edit(conn: Conn, pid: int, rid: int) -> list[str]:
    done = []
    async with conn.transaction():
        for statement in EDITS:
            done.append(await conn.execute(statement, pid, rid))
    return done


async def test_an_edited_response_is_rendered_again_and_no_other(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    state = await conn.fetchrow(STATE, pid, seeded.wave_id)
    before = await conn.fetchval(WRITTEN, pid, seeded.wave_id)
    rid = await conn.fetchval(FIRST.format("a.value_text IS NOT NULL"), pid, seeded.wave_id)
    ids = [r["response_id"] for r in await conn.fetch(
        "SELECT response_id FROM export_cells WHERE program_id = $1 AND wave_id = $2 "
        "ORDER BY response_id", pid, seeded.wave_id)]

    done = await edit(conn, pid, rid)
    assert all(not d.endswith(" 0") for d in done), done  # each statement changed answers
    after = await conn.fetchval(WRITTEN, pid, seeded.wave_id)
    rewritten = [i for i, a, b in zip(ids, after, before, strict=True) if a != b]
    assert rewritten == [rid]
    # The wave's cells are not stale: the next export renders nothing, and is right.
    assert await conn.fetchrow(STATE, pid, seeded.wave_id) == state
    await same_for_everyone(conn, resources, pid, seeded.wave_id)
    assert await conn.fetchval(WRITTEN, pid, seeded.wave_id) == after


async def test_a_render_that_fails_leaves_the_edit_and_no_stale_cell(
    conn: Conn, resources: Any, actors: Any
) -> None:
    pid = actors.programs["own"]
    seeded = await seed_wave(conn, resources, pid)
    # An answer to the multiple choice question whose options the layout garbles.
    rid = await conn.fetchval(
        FIRST.format("a.item_id = 'race_ethnicity' AND cardinality(a.value_codes) > 0"),
        pid, seeded.wave_id,
    )
    before = await conn.fetchval(CELLS, pid, seeded.wave_id)
    await conn.execute(CHOKE, seeded.wave_id)
    await edit(conn, pid, rid)
    assert await conn.fetchval(CELLS, pid, seeded.wave_id) == before - 1
    assert await conn.fetchval(
        "SELECT count(*) FROM export_cells WHERE program_id = $1 AND response_id = $2", pid, rid
    ) == 0
    for who in (SYSTEM, evaluator(pid)):
        reference, served = await _both(conn, resources, who, pid, seeded.wave_id)
        assert served == reference, _diff(served, reference)
