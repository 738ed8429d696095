"""Invariants that must hold for any data (hypothesis property tests).

Data are integer-valued so shifting and scaling stay exact in floating point
and ties behave the same before and after the transformation.
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import (
    adjust_pvalues,
    compare_independent,
    compare_paired,
    contingency,
    rake,
)
from analysis.results import IndependentComparison

PROPERTY = settings(max_examples=60, deadline=None, database=None)

group = st.lists(st.integers(-20, 20), min_size=2, max_size=18).map(
    lambda values: np.array(values, dtype=float)
)
likert_group = st.lists(st.integers(1, 5), min_size=2, max_size=18).map(
    lambda values: np.array(values, dtype=float)
)
any_group = st.one_of(group, likert_group)


def same(a: float | None, b: float | None, scale: float = 1.0) -> bool:
    """Equal up to rounding, with NaN equal to NaN and None equal to None."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b * scale, rel_tol=1e-9, abs_tol=1e-12)


TESTS = (
    "t",
    "df",
    "p",
    "hedges_g",
    "u",
    "p_mw",
    "p_mw_exact",
    "cliffs_delta",
    "bm_statistic",
    "p_bm",
)


def unchanged(a: IndependentComparison, b: IndependentComparison, fields: tuple[str, ...]) -> None:
    for name in fields:
        assert same(getattr(a, name), getattr(b, name)), name


@PROPERTY
@given(any_group, any_group)
def test_swapping_waves_flips_signs_and_keeps_p(pre: np.ndarray, post: np.ndarray) -> None:
    forward = compare_independent(pre, post)
    backward = compare_independent(post, pre)
    for name in ("diff", "t", "hedges_g", "cliffs_delta", "bm_statistic", "ci_low"):
        mirror = "ci_high" if name == "ci_low" else name
        assert same(getattr(forward, name), getattr(backward, mirror), scale=-1.0), name
    unchanged(forward, backward, ("df", "p", "p_mw", "p_mw_exact", "p_bm"))
    assert same(forward.u, pre.size * post.size - backward.u)


@PROPERTY
@given(any_group, any_group, st.integers(-100, 100))
def test_adding_a_constant_changes_no_test(pre: np.ndarray, post: np.ndarray, shift: int) -> None:
    base = compare_independent(pre, post)
    moved = compare_independent(pre + shift, post + shift)
    unchanged(base, moved, (*TESTS, "diff", "ci_low", "ci_high", "sd_pre", "sd_post"))
    assert same(moved.mean_post, base.mean_post + shift)


@PROPERTY
@given(any_group, any_group, st.sampled_from([0.25, 0.5, 3.0, 10.0, 1000.0]))
def test_scaling_both_waves_keeps_t_p_and_g(
    pre: np.ndarray, post: np.ndarray, factor: float
) -> None:
    base = compare_independent(pre, post)
    scaled = compare_independent(pre * factor, post * factor)
    unchanged(base, scaled, TESTS)
    assert same(scaled.diff, base.diff, scale=factor)


@PROPERTY
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=30))
def test_paired_swap_flips_signs_and_shift_changes_nothing(pairs: list[tuple[int, int]]) -> None:
    pre = np.array([a for a, _ in pairs], dtype=float)
    post = np.array([b for _, b in pairs], dtype=float)
    forward, backward = compare_paired(pre, post), compare_paired(post, pre)
    for name in ("mean_diff", "t", "dz", "rank_biserial"):
        assert same(getattr(forward, name), getattr(backward, name), scale=-1.0), name
    assert (forward.w_plus, forward.w_minus) == (backward.w_minus, backward.w_plus)
    assert same(forward.p_t, backward.p_t) and same(forward.p_wilcoxon, backward.p_wilcoxon)
    assert compare_paired(pre + 7, post + 7) == forward


@PROPERTY
@given(
    st.lists(st.one_of(st.floats(0, 1), st.just(math.nan)), max_size=25),
    st.sampled_from(["holm", "bh"]),
)
def test_adjusted_p_is_monotone_at_least_raw_and_at_most_one(raw: list[float], method: str) -> None:
    p = np.array(raw, dtype=float)
    adjusted = adjust_pvalues(p, method)  # type: ignore[arg-type]
    present = ~np.isnan(p)
    assert np.array_equal(np.isnan(adjusted), ~present)
    kept, adj = p[present], adjusted[present]
    assert np.all(adj >= kept) and np.all(adj <= 1.0)
    order = np.argsort(kept, kind="stable")
    assert np.all(np.diff(adj[order]) >= 0)


@st.composite
def raking_problem(draw: st.DrawFn) -> tuple[dict[str, list[str]], dict[str, dict[str, float]]]:
    """Two or three variables; every cross-cell appears once so a solution exists."""
    sizes = draw(st.lists(st.integers(2, 4), min_size=2, max_size=3))
    names = [f"v{i}" for i in range(len(sizes))]
    labels = [[f"{name}_{j}" for j in range(size)] for name, size in zip(names, sizes, strict=True)]
    rows = list(product(*labels))
    extra = draw(st.lists(st.sampled_from(rows), max_size=40))
    rows = rows + extra
    order = draw(st.permutations(range(len(rows))))
    rows = [rows[i] for i in order]
    total = draw(st.floats(100, 1e6))
    margins = {}
    for name, categories in zip(names, labels, strict=True):
        shares = np.array(
            draw(st.lists(st.floats(0.05, 1.0), min_size=len(categories), max_size=len(categories)))
        )
        margins[name] = dict(zip(categories, (total * shares / shares.sum()).tolist(), strict=True))
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    return columns, margins


@PROPERTY
@given(raking_problem())
def test_rake_reproduces_every_margin(
    problem: tuple[dict[str, list[str]], dict[str, dict[str, float]]],
) -> None:
    columns, margins = problem
    weights = rake(columns, margins, max_iter=1000)
    total = sum(next(iter(margins.values())).values())
    assert math.isclose(weights.sum(), total, rel_tol=1e-12)
    for name, targets in margins.items():
        labels = np.array(columns[name])
        for category, target in targets.items():
            assert math.isclose(weights[labels == category].sum(), target, rel_tol=1e-8)


@PROPERTY
@given(
    st.integers(2, 4).flatmap(
        lambda rows: st.lists(
            st.lists(st.integers(1, 30), min_size=3, max_size=3), min_size=rows, max_size=rows
        )
    )
)
def test_transposing_a_table_keeps_the_chi_square(table: list[list[int]]) -> None:
    counts = np.array(table)
    assert same(contingency(counts).chi2, contingency(counts.T).chi2)
    assert same(contingency(counts).cramers_v, contingency(counts.T).cramers_v)
