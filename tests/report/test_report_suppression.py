"""Suppression: hand-checked tables, and the invariants on random ones."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from survey.report.suppression import (
    is_caution,
    is_suppressed,
    suppress_column,
    suppress_table,
)


def test_thresholds() -> None:
    assert is_suppressed(9) and not is_suppressed(10)
    assert is_suppressed(None) and is_suppressed(0)
    assert is_suppressed(40, 9.9) and not is_suppressed(40, 10.0)
    assert is_suppressed(40, math.nan)  # an effective n that could not be computed
    assert is_caution(10) and is_caution(29) and not is_caution(30)
    assert is_caution(200, 29.5) and not is_caution(9) and not is_caution(40, 8.0)


def test_one_small_cell_takes_three_complements() -> None:
    # 4 is primary. Its row, then both columns, each need a second hidden cell:
    #   row 0:  4 → 50;  column 1: 4 → 30;  column 0: 50 → 40.
    plan = suppress_table([[50, 4], [40, 30]])
    assert plan.primary == [[False, True], [False, False]]
    assert plan.cells == [[True, True], [True, True]]
    assert plan.column_totals == [False, False]


def test_complements_are_the_smallest_cells_of_each_line() -> None:
    # 3 is primary; the greedy pass, by hand:
    #   row 0 takes 15; column 1 takes 18; column 2 takes 11;
    #   row 1 then takes 12; row 2 takes 22; column 0 takes 20.
    plan = suppress_table([[20, 3, 15], [12, 18, 25], [30, 22, 11]])
    assert plan.cells == [
        [True, True, True],
        [True, True, False],
        [False, True, True],
    ]
    assert plan.column_totals == [False, False, False]


def test_zero_cells_are_shown_unless_nothing_else_can_protect() -> None:
    assert suppress_table([[12, 0], [30, 0]]).cells == [[False, False], [False, False]]
    # 5 is primary; row 1 takes 30; column 0 takes 12; column 1 has only a zero left.
    plan = suppress_table([[12, 0], [5, 30]])
    assert plan.cells == [[True, True], [True, True]]


def test_small_column_total_is_hidden_with_another_total() -> None:
    # Column 1 sums to 7 (primary); the row of column totals then needs a second.
    plan = suppress_table([[12, 3], [14, 4]])
    assert plan.cells == [[True, True], [True, True]]
    assert plan.column_totals == [True, True]


def test_nothing_small_nothing_hidden() -> None:
    plan = suppress_table([[10, 20], [30, 40]])
    assert plan.cells == [[False, False], [False, False]]
    assert plan.column_totals == [False, False]


def test_a_column_published_with_its_total_only() -> None:
    assert suppress_column([40, 3, 25]) == ([False, True, True], False)
    assert suppress_column([3, 2]) == ([True, True], True)
    assert suppress_column([40, 0, 25]) == ([False, False, False], False)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda width: st.lists(
            st.lists(st.integers(0, 60), min_size=width, max_size=width),
            min_size=1,
            max_size=6,
        )
    )
)
def test_no_line_keeps_exactly_one_hidden_entry(table: list[list[int]]) -> None:
    # Rows are sites that passed the site threshold, so their totals are at least 10.
    rows = [row for row in table if sum(row) >= 10]
    if not rows:
        return
    plan = suppress_table(rows)
    width = len(rows[0])
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if 0 < value < 10:
                assert plan.cells[i][j]
        if width > 1:
            assert sum(plan.cells[i]) != 1
    for j in range(width):
        total = sum(row[j] for row in rows)
        if 0 < total < 10:
            assert plan.column_totals[j]
        assert sum(plan.cells[i][j] for i in range(len(rows))) + plan.column_totals[j] != 1
    assert sum(plan.column_totals) != 1 or width == 1
