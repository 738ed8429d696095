"""compare_frequencies: the same comparison as on the expanded answers, and as scipy's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis import (
    compare_frequencies,
    compare_independent,
    diff_in_diff,
    diff_in_diff_frequencies,
)

FIELDS = (
    "n_pre",
    "n_post",
    "mean_pre",
    "mean_post",
    "sd_pre",
    "sd_post",
    "diff",
    "ci_low",
    "ci_high",
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
    "small_sample",
)


def same(a: object, b: object) -> bool:
    if a is None or b is None or isinstance(a, bool):
        return a == b
    assert isinstance(a, (int, float)) and isinstance(b, (int, float))
    if math.isnan(a):
        return math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


tables = st.dictionaries(
    st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, 2.5, 3.25]), st.integers(0, 40), max_size=7
)


@settings(max_examples=300, deadline=None)
@given(tables, tables)
def test_equals_compare_independent_on_the_expanded_answers(
    pre: dict[float, int], post: dict[float, int]
) -> None:
    pv, pc = list(pre), list(pre.values())
    qv, qc = list(post), list(post.values())
    got = compare_frequencies(pv, pc, qv, qc)
    want = compare_independent(np.repeat(pv, pc), np.repeat(qv, qc))
    for name in FIELDS:
        assert same(getattr(got, name), getattr(want, name)), name


def test_a_large_likert_item_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    pre = rng.choice([1, 2, 3, 4, 5], size=40_000, p=[0.1, 0.2, 0.3, 0.25, 0.15])
    post = rng.choice([1, 2, 3, 4, 5], size=38_000, p=[0.08, 0.18, 0.3, 0.27, 0.17])
    values = np.arange(1, 6)
    got = compare_frequencies(
        values, [(pre == v).sum() for v in values], values, [(post == v).sum() for v in values]
    )
    welch = stats.ttest_ind(post, pre, equal_var=False)
    mw = stats.mannwhitneyu(post, pre, use_continuity=True, method="asymptotic")
    bm = stats.brunnermunzel(pre, post)
    assert got.t == pytest.approx(welch.statistic, rel=1e-9)
    assert got.p == pytest.approx(welch.pvalue, rel=1e-9)
    assert got.u == mw.statistic
    assert got.p_mw == pytest.approx(mw.pvalue, rel=1e-9)
    assert got.bm_statistic == pytest.approx(bm.statistic, rel=1e-9)
    assert got.p_bm == pytest.approx(bm.pvalue, rel=1e-9)
    assert got.p_mw_exact is None
    assert (got.n_pre, got.n_post) == (40_000, 38_000)


def test_repeated_values_are_merged_and_empty_cells_dropped() -> None:
    merged = compare_frequencies([1, 2, 1, 3], [2, 3, 1, 0], [2, 3, float("nan")], [4, 1, 9])
    plain = compare_independent([1, 1, 1, 2, 2, 2], [2, 2, 2, 2, 3])
    assert all(same(getattr(merged, f), getattr(plain, f)) for f in FIELDS)


def test_counts_must_be_whole_and_aligned() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        compare_frequencies([1, 2], [1.5, 2], [1], [3])
    with pytest.raises(ValueError, match="differ in length"):
        compare_frequencies([1, 2], [1], [1], [3])


@settings(max_examples=200, deadline=None)
@given(tables, tables, tables, tables)
def test_diff_in_diff_equals_the_expanded_answers(
    a: dict[float, int], b: dict[float, int], c: dict[float, int], d: dict[float, int]
) -> None:
    got = diff_in_diff_frequencies(*[(list(t), list(t.values())) for t in (a, b, c, d)])
    want = diff_in_diff(*[np.repeat(list(t), list(t.values())) for t in (a, b, c, d)])
    for name in ("estimate", "se_hc1", "ci_low", "ci_high", "p"):
        assert same(getattr(got, name), getattr(want, name)), name
