"""Independent and paired comparisons against statsmodels, scipy and hand calculations.

The analysis code computes every test from its formula; the references here
come from statsmodels, scipy's own implementations of the tests, brute force
or published output.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttest_ind

from analysis import compare_independent, compare_paired

NAN = math.nan
TOL = 1e-9

RNG = np.random.default_rng(2024)
LIKERT_PRE = RNG.integers(1, 6, 40).astype(float)
LIKERT_POST = np.clip(RNG.integers(1, 6, 33) + RNG.integers(0, 2, 33), 1, 5).astype(float)
SCORES_PRE = RNG.normal(3.1, 0.8, 57)
SCORES_POST = RNG.normal(3.4, 1.1, 44)


@pytest.mark.parametrize(("pre", "post"), [(SCORES_PRE, SCORES_POST), (LIKERT_PRE, LIKERT_POST)])
def test_welch_matches_statsmodels(pre: np.ndarray, post: np.ndarray) -> None:
    result = compare_independent(pre, post)
    t, p, df = ttest_ind(post, pre, usevar="unequal")
    low, high = CompareMeans.from_data(post, pre).tconfint_diff(usevar="unequal")
    assert result.t == pytest.approx(t, abs=TOL)
    assert result.p == pytest.approx(p, abs=TOL)
    assert result.df == pytest.approx(df, abs=TOL)
    assert result.ci_low == pytest.approx(low, abs=TOL)
    assert result.ci_high == pytest.approx(high, abs=TOL)
    assert result.diff == pytest.approx(post.mean() - pre.mean(), abs=TOL)
    assert (result.n_pre, result.n_post) == (pre.size, post.size)
    assert result.sd_pre == pytest.approx(
        DescrStatsW(pre).std * math.sqrt(pre.size / (pre.size - 1))
    )


def test_hedges_g_uses_exact_gamma_correction() -> None:
    pre = np.array([2.0, 3.0, 3.0, 4.0, 5.0])
    post = np.array([3.0, 4.0, 5.0, 5.0])
    # Hand calculation: means 3.4 and 4.25; SS 5.2 and 2.75 on df 7.
    pooled_sd = math.sqrt((5.2 + 2.75) / 7)
    j = math.gamma(3.5) / (math.sqrt(3.5) * math.gamma(3.0))
    assert compare_independent(pre, post).hedges_g == pytest.approx(
        (4.25 - 3.4) / pooled_sd * j, abs=TOL
    )


@pytest.mark.parametrize(("pre", "post"), [(SCORES_PRE, SCORES_POST), (LIKERT_PRE, LIKERT_POST)])
def test_mann_whitney_matches_scipy_with_tie_and_continuity_correction(
    pre: np.ndarray, post: np.ndarray
) -> None:
    result = compare_independent(pre, post)
    reference = stats.mannwhitneyu(post, pre, use_continuity=True, method="asymptotic")
    assert result.u == pytest.approx(reference.statistic, abs=TOL)
    assert result.p_mw == pytest.approx(reference.pvalue, abs=TOL)
    brute = np.sign(post[:, None] - pre[None, :]).mean()
    assert result.cliffs_delta == pytest.approx(brute, abs=TOL)


def test_mann_whitney_hand_calculation_with_ties() -> None:
    # Pooled sorted: 1 1 | 2 2 2 | 3 | 4 4 -> midranks 1.5, 4, 6, 7.5.
    pre = np.array([1.0, 2.0, 2.0, 3.0])
    post = np.array([1.0, 2.0, 4.0, 4.0])
    u = (1.5 + 4 + 7.5 + 7.5) - 4 * 5 / 2
    variance = 4 * 4 / 12 * (9 - (6 + 24 + 6) / (8 * 7))
    z = (u - 8 - 0.5) / math.sqrt(variance)
    result = compare_independent(pre, post)
    assert result.u == pytest.approx(u, abs=TOL)
    assert result.p_mw == pytest.approx(2 * stats.norm.sf(z), abs=TOL)


def _brute_force_exact_p(pre: np.ndarray, post: np.ndarray) -> float:
    pooled = np.concatenate([pre, post])
    pooled_ranks = stats.rankdata(pooled)
    observed = pooled_ranks[pre.size :].sum()
    sums = np.array(
        [
            pooled_ranks[list(chosen)].sum()
            for chosen in itertools.combinations(range(pooled.size), post.size)
        ]
    )
    low = np.mean(sums <= observed + 1e-9)
    high = np.mean(sums >= observed - 1e-9)
    return min(1.0, 2 * min(low, high))


@pytest.mark.parametrize(
    ("pre", "post"),
    [
        ([1, 2, 2, 3, 3, 3, 4], [3, 4, 4, 5, 5, 2]),
        ([1, 1, 1, 2], [1, 1, 1, 1, 1, 2, 2]),
        ([2.5, 3.1, 4.7], [0.2, 5.5, 6.1, 7.0, 8.3]),
        ([3, 3, 3], [3, 3, 3, 3]),
    ],
)
def test_exact_mann_whitney_matches_brute_force_enumeration(
    pre: list[float], post: list[float]
) -> None:
    before, after = np.array(pre, dtype=float), np.array(post, dtype=float)
    assert compare_independent(before, after).p_mw_exact == pytest.approx(
        _brute_force_exact_p(before, after), abs=TOL
    )


def test_exact_mann_whitney_matches_scipy_permutation_test_with_ties() -> None:
    pre, post = LIKERT_PRE[:9], LIKERT_POST[:10]

    def rank_sum(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
        pooled = stats.rankdata(np.concatenate([x, y], axis=axis), axis=axis)
        return pooled[..., : x.shape[axis]].sum(axis=axis)

    reference = stats.permutation_test(
        (post, pre),
        rank_sum,
        permutation_type="independent",
        n_resamples=np.inf,
        vectorized=True,
    )
    assert compare_independent(pre, post).p_mw_exact == pytest.approx(reference.pvalue, abs=TOL)


def test_exact_mann_whitney_without_ties_matches_scipy_exact() -> None:
    pre, post = SCORES_PRE[:10], SCORES_POST[:10]  # C(20, 10) = 184,756: still exact
    reference = stats.mannwhitneyu(post, pre, method="exact")
    assert compare_independent(pre, post).p_mw_exact == pytest.approx(reference.pvalue, abs=TOL)


def test_exact_mann_whitney_single_answer_group_and_limit() -> None:
    post = np.arange(5000, dtype=float)
    # The lone pre answer ranks 1,001st of 5,001 distinct values.
    result = compare_independent([999.5], post)
    assert result.p_mw_exact == pytest.approx(2 * 1001 / 5001, abs=TOL)
    assert compare_independent(SCORES_PRE[:11], SCORES_POST[:10]).p_mw_exact is None


def test_brunner_munzel_matches_scipy_and_published_example() -> None:
    result = compare_independent(LIKERT_PRE, LIKERT_POST)
    reference = stats.brunnermunzel(LIKERT_PRE, LIKERT_POST)
    assert result.bm_statistic == pytest.approx(reference.statistic, abs=TOL)
    assert result.p_bm == pytest.approx(reference.pvalue, abs=TOL)
    # Brunner & Munzel (2000) pain scores, as printed by R lawstat::brunner.munzel.test:
    # statistic 3.1375, p-value 0.005786.
    pain = compare_independent(
        [1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 1, 1], [3, 3, 4, 3, 1, 2, 3, 1, 1, 5, 4]
    )
    assert pain.bm_statistic == pytest.approx(3.1375, abs=5e-5)
    assert pain.p_bm == pytest.approx(0.005786, abs=5e-7)


def test_missing_answers_are_dropped_per_group() -> None:
    with_nan = compare_independent(np.r_[LIKERT_PRE, NAN, NAN], np.r_[NAN, LIKERT_POST])
    assert with_nan == compare_independent(LIKERT_PRE, LIKERT_POST)
    assert with_nan.small_sample is False


def test_small_groups_are_flagged_and_degenerate_fields_are_nan() -> None:
    tiny = compare_independent([3.0], [4.0, 5.0, NAN])
    assert tiny.small_sample and (tiny.n_pre, tiny.n_post) == (1, 2)
    assert math.isnan(tiny.t) and math.isnan(tiny.hedges_g) and math.isnan(tiny.p_bm)
    assert tiny.diff == pytest.approx(1.5)
    flat = compare_independent([3.0, 3.0, 3.0], [3.0, 3.0])
    for value in (flat.t, flat.p, flat.hedges_g, flat.p_mw, flat.p_bm, flat.bm_statistic):
        assert math.isnan(value)
    assert flat.cliffs_delta == 0.0 and flat.p_mw_exact == 1.0
    empty = compare_independent([], [1.0, 2.0])
    assert empty.n_pre == 0 and math.isnan(empty.u) and math.isnan(empty.mean_pre)


PANEL_PRE = RNG.integers(1, 6, 45).astype(float)
PANEL_POST = np.clip(PANEL_PRE + RNG.integers(-1, 3, 45), 1, 5)


def test_paired_t_and_dz_match_statsmodels() -> None:
    result = compare_paired(PANEL_PRE, PANEL_POST)
    t, p, _ = DescrStatsW(PANEL_POST - PANEL_PRE).ttest_mean()
    assert result.t == pytest.approx(t, abs=TOL)
    assert result.p_t == pytest.approx(p, abs=TOL)
    diff = PANEL_POST - PANEL_PRE
    assert result.dz == pytest.approx(diff.mean() / diff.std(ddof=1), abs=TOL)
    assert result.mean_diff == pytest.approx(diff.mean(), abs=TOL)


def test_paired_wilcoxon_matches_scipy_with_zeros_dropped() -> None:
    result = compare_paired(PANEL_PRE, PANEL_POST)
    diff = PANEL_POST - PANEL_PRE
    reference = stats.wilcoxon(diff, zero_method="wilcox", correction=True, method="asymptotic")
    assert result.p_wilcoxon == pytest.approx(reference.pvalue, abs=TOL)
    assert result.n_zero == int(np.sum(diff == 0)) > 0
    nonzero = diff[diff != 0]
    magnitude_ranks = stats.rankdata(np.abs(nonzero))
    assert result.w_plus == pytest.approx(magnitude_ranks[nonzero > 0].sum(), abs=TOL)
    assert result.w_minus == pytest.approx(magnitude_ranks[nonzero < 0].sum(), abs=TOL)
    assert result.rank_biserial == pytest.approx(
        (result.w_plus - result.w_minus) / magnitude_ranks.sum(), abs=TOL
    )


def test_paired_wilcoxon_hand_calculation() -> None:
    pre = np.array([3.0, 2.0, 4.0, 1.0, 5.0, 2.0, NAN])
    post = np.array([4.0, 4.0, 4.0, 3.0, 4.0, 5.0, 1.0])
    # Differences 1, 2, 0, 2, -1, 3 (last pair dropped); |d| ranks: 1.5, 3.5, 3.5, 1.5, 5.
    result = compare_paired(pre, post)
    assert (result.n_pairs, result.n_zero) == (6, 1)
    assert (result.w_plus, result.w_minus) == (13.5, 1.5)
    variance = 5 * 6 * 11 / 24 - (6 + 6) / 48
    z = (13.5 - 7.5 - 0.5) / math.sqrt(variance)
    assert result.p_wilcoxon == pytest.approx(2 * stats.norm.sf(z), abs=TOL)
    assert result.rank_biserial == pytest.approx(12 / 15, abs=TOL)


def test_paired_t_matches_scipy_ttest_rel() -> None:
    reference = stats.ttest_rel(PANEL_POST, PANEL_PRE)
    result = compare_paired(PANEL_PRE, PANEL_POST)
    assert result.t == pytest.approx(reference.statistic, abs=TOL)
    assert result.p_t == pytest.approx(reference.pvalue, abs=TOL)


def test_paired_degenerate_and_mismatched_input() -> None:
    same = compare_paired([2.0, 3.0, 4.0], [2.0, 3.0, 4.0])
    assert same.n_zero == 3 and same.w_plus == 0.0
    assert math.isnan(same.t) and math.isnan(same.p_wilcoxon) and math.isnan(same.rank_biserial)
    # As documented: the rank sums over no nonzero differences are 0, not NaN.
    for result in (same, compare_paired([], [])):
        assert (result.w_plus, result.w_minus) == (0.0, 0.0)
        assert math.isnan(result.p_wilcoxon) and math.isnan(result.rank_biserial)
    assert "w_minus`` are 0" in (compare_paired.__doc__ or "")
    with pytest.raises(ValueError, match="pair up"):
        compare_paired([1.0, 2.0], [1.0])
