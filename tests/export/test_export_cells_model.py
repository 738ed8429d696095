"""Export cells against the answers after random sequences of changes (hypothesis).

The steps of ``tests/report/test_report_cache_model.py`` (flags, moves, corrections,
answers edited by hand, reopenings, answers given again, completions, deletions, new
responses, reports), then
each wave's CSV served from the cells must be, byte for byte, the Python writer's file
made from the answers, for an administrator and for an evaluator, with every cell in
use current (``same_for_everyone``). Each example seeds a program of its own;
``SURVEY_CACHE_MODEL_EXAMPLES`` sets how many, as there.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import example, given, note
from test_export_cells import same_for_everyone

from survey.access import SYSTEM
from survey.export import cells
from survey.export.plan import plan_export
from survey.report.seeding import seed_program
from survey.resources import Resources
from tests.report.test_report_cache_model import DESIGN, MODEL, STEPS, World, open_world, step

_programs = itertools.count()


@pytest.fixture
def world(database_url: str, resources: Resources) -> Iterator[World]:
    yield from open_world(database_url, resources)


@MODEL
@given(steps=STEPS)
@example(steps=[("wave", 0)])  # 0017: moved to the other wave, rendered there
# 0019: moved, its answers edited by hand, moved back: the cell left in the first wave
# held the answers from before the edit.
@example(steps=[("wave", 0), ("edit", 0), ("wave", 0)])
def test_export_cells_equal_the_answers_after_any_sequence_of_changes(
    world: World, steps: list[tuple[str, int]]
) -> None:
    note(f"steps: {steps}")

    async def walk() -> None:
        conn, res = world.conn, world.res
        s = await seed_program(conn, res, DESIGN, slug=f"cells-{next(_programs)}", seed=4)
        for wave_id in (s.pre_id, s.post_id):  # cells kept from here on
            await cells.prepare(conn, await plan_export(conn, SYSTEM, res, s.program_id, wave_id))
        for kind, n in steps:
            await step(conn, res, s, kind, n)
        for wave_id in (s.pre_id, s.post_id):
            await same_for_everyone(conn, res, s.program_id, wave_id)

    world.run(walk())
