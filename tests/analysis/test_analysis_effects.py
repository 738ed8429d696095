"""Difference-in-differences, pooled effects and the BCa bootstrap against statsmodels and scipy."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from analysis import bootstrap_ci, diff_in_diff, diff_in_diff_frequencies, pooled_effect

TOL = 1e-9
RNG = np.random.default_rng(11)


def _cells() -> list[np.ndarray]:
    return [
        RNG.normal(3.0, 0.7, 40),
        RNG.normal(3.5, 1.0, 35),
        RNG.normal(3.1, 0.9, 28),
        RNG.normal(3.2, 0.6, 51),
    ]


def test_diff_in_diff_matches_statsmodels_ols_hc1() -> None:
    treat_pre, treat_post, comp_pre, comp_post = _cells()
    y = np.concatenate([treat_pre, treat_post, comp_pre, comp_post])
    sizes = [c.size for c in (treat_pre, treat_post, comp_pre, comp_post)]
    treat = np.repeat([1.0, 1.0, 0.0, 0.0], sizes)
    post = np.repeat([0.0, 1.0, 0.0, 1.0], sizes)
    design = np.column_stack([np.ones_like(y), treat, post, treat * post])
    fit = sm.OLS(y, design).fit(cov_type="HC1")
    result = diff_in_diff(np.r_[treat_pre, np.nan], treat_post, comp_pre, np.r_[np.nan, comp_post])
    low, high = fit.conf_int()[3]
    assert result.estimate == pytest.approx(fit.params[3], abs=TOL)
    assert result.se_hc1 == pytest.approx(fit.bse[3], abs=TOL)
    assert result.ci_low == pytest.approx(low, abs=TOL)
    assert result.ci_high == pytest.approx(high, abs=TOL)
    assert result.p == pytest.approx(fit.pvalues[3], abs=TOL)


def test_diff_in_diff_degenerate_cells() -> None:
    empty = diff_in_diff([], [1.0, 2.0], [1.0], [2.0])
    assert math.isnan(empty.estimate) and math.isnan(empty.se_hc1)
    flat = diff_in_diff([1.0, 1.0], [3.0, 3.0], [2.0, 2.0], [2.0, 2.0])
    assert flat.estimate == 2.0 and math.isnan(flat.p)


ESTIMATES = np.array([0.31, 0.12, 0.55, -0.05, 0.40, 0.22])
SES = np.array([0.10, 0.15, 0.12, 0.20, 0.09, 0.11])


def test_pooled_effect_matches_statsmodels_dersimonian_laird() -> None:
    reference = combine_effects(ESTIMATES, SES**2, method_re="dl")
    assert reference.tau2 > 0
    result = pooled_effect(ESTIMATES, SES)
    low, high = reference.conf_int(use_t=False)[1]
    assert result.estimate == pytest.approx(reference.mean_effect_re, abs=TOL)
    assert result.ci_low == pytest.approx(low, abs=TOL)
    assert result.ci_high == pytest.approx(high, abs=TOL)
    assert result.tau2 == pytest.approx(reference.tau2, abs=TOL)
    assert result.q == pytest.approx(reference.q, abs=TOL)
    assert result.i2 == pytest.approx(reference.i2, abs=TOL)
    z = reference.mean_effect_re / reference.sd_eff_w_re
    assert result.p == pytest.approx(2 * stats.norm.sf(abs(z)), abs=TOL)


def test_pooled_effect_truncates_tau2_and_falls_back_to_fixed_effect() -> None:
    estimates, ses = np.array([0.2, 0.21, 0.19]), np.array([0.1, 0.12, 0.09])
    with warnings.catch_warnings():
        # statsmodels 0.15 leaves this DL τ² negative (Q < df) and then takes the
        # root of a negative variance; only its fixed-effect numbers are used here.
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = combine_effects(estimates, ses**2, method_re="dl")
    assert reference.tau2 < 0
    result = pooled_effect(estimates, ses)
    low, high = reference.conf_int(use_t=False)[0]
    assert (result.tau2, result.i2) == (0.0, 0.0)
    assert result.q == pytest.approx(reference.q, abs=TOL)
    assert result.estimate == pytest.approx(reference.mean_effect_fe, abs=TOL)
    assert result.ci_low == pytest.approx(low, abs=TOL)
    assert result.ci_high == pytest.approx(high, abs=TOL)


def test_pooled_effect_homogeneous_sites_by_hand() -> None:
    # Equal estimates: Q = 0, τ² = 0, I² = 0; the pooled SE is √(1/Σ(1/se²)).
    result = pooled_effect([0.3, 0.3, np.nan], [0.1, 0.2, 0.5])
    se = math.sqrt(1 / (100 + 25))
    assert result.q == pytest.approx(0.0, abs=TOL)
    assert (result.tau2, result.i2) == (0.0, 0.0)
    assert result.estimate == pytest.approx(0.3, abs=TOL)
    assert result.ci_high - result.ci_low == pytest.approx(2 * 1.959963984540054 * se, abs=TOL)
    single = pooled_effect([0.4], [0.2])
    assert single.estimate == pytest.approx(0.4) and single.tau2 == 0.0
    with pytest.raises(ValueError, match="positive"):
        pooled_effect([0.1, 0.2], [0.1, 0.0])


@pytest.mark.parametrize(
    ("pre", "post"),
    [
        (RNG.gamma(2.0, 1.0, 45), RNG.gamma(2.0, 1.3, 38)),  # distinct values: rows drawn
        (RNG.integers(1, 6, 80) * 1.0, RNG.integers(2, 6, 70) * 1.0),  # Likert: counts drawn
    ],
)
def test_bootstrap_bca_agrees_with_scipy_within_monte_carlo_error(
    pre: np.ndarray, post: np.ndarray
) -> None:
    ours = bootstrap_ci(pre, post, n_resamples=9999, seed=3)

    def diff(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    reference = stats.bootstrap(
        (post, pre), diff, method="BCa", n_resamples=9999, rng=np.random.default_rng(4)
    ).confidence_interval
    width = reference.high - reference.low
    assert ours.ci_low == pytest.approx(reference.low, abs=0.05 * width)
    assert ours.ci_high == pytest.approx(reference.high, abs=0.05 * width)


def test_bootstrap_is_reproducible_and_honest_on_degenerate_input() -> None:
    pre, post = RNG.normal(size=20), RNG.normal(0.5, size=25)
    assert bootstrap_ci(pre, post, seed=9) == bootstrap_ci(pre, post, seed=9)
    assert bootstrap_ci(pre, post, seed=9) != bootstrap_ci(pre, post, seed=10)
    assert math.isnan(bootstrap_ci([1.0], post).ci_low)
    assert math.isnan(bootstrap_ci([2.0, 2.0], [3.0, 3.0, 3.0]).ci_high)


def test_bootstrap_approaches_welch_interval_for_large_symmetric_samples() -> None:
    pre, post = RNG.normal(0.0, 1.0, 2000), RNG.normal(0.2, 1.0, 2000)
    ours = bootstrap_ci(pre, post, n_resamples=4000, seed=1)
    se = math.sqrt(pre.var(ddof=1) / pre.size + post.var(ddof=1) / post.size)
    centre = post.mean() - pre.mean()
    assert ours.ci_low == pytest.approx(centre - 1.96 * se, abs=0.1 * se)
    assert ours.ci_high == pytest.approx(centre + 1.96 * se, abs=0.1 * se)


def test_diff_in_diff_without_spread_has_nan_se_and_pools_without_that_site() -> None:
    # Every cell constant: the estimate is (4 − 3) − (3 − 3) = 1 by hand, but
    # there is no variance to estimate an SE from.
    flat = diff_in_diff([3], [4], [3], [3, 3])
    assert flat.estimate == 1.0
    assert math.isnan(flat.se_hc1) and math.isnan(flat.ci_low) and math.isnan(flat.p)
    assert (flat.n_treat_pre, flat.n_treat_post, flat.n_comp_pre, flat.n_comp_post) == (
        1,
        1,
        1,
        2,
    )
    freq = diff_in_diff_frequencies(([3], [1]), ([4], [1]), ([3], [1]), ([3], [2]))
    assert freq.estimate == 1.0 and math.isnan(freq.se_hc1)
    assert freq.n_comp_post == 2
    # The flat site drops out like any NaN site: the pool equals the two-site pool,
    # and with fixed weights 1/0.89² and 1/0.75² by hand when τ² is 0.
    pooled = pooled_effect([0.55, 0.67, flat.estimate], [0.89, 0.75, flat.se_hc1])
    w1, w2 = 1 / 0.89**2, 1 / 0.75**2
    assert pooled.tau2 == 0.0
    assert pooled.estimate == pytest.approx((w1 * 0.55 + w2 * 0.67) / (w1 + w2), abs=TOL)


def test_diff_in_diff_counts_answered_per_cell() -> None:
    result = diff_in_diff([1.0, np.nan, 2.0], [3.0, 4.0], [2.0, 2.5, 3.0, np.nan], [np.nan])
    assert math.isnan(result.estimate)
    assert (result.n_treat_pre, result.n_treat_post, result.n_comp_pre, result.n_comp_post) == (
        2,
        2,
        3,
        0,
    )


@pytest.mark.parametrize(
    ("estimates", "ses", "where"),
    [
        ([0.55, 0.67, 1.0], [0.89, 0.75, 0.0], r"index 2 \(estimate 1\.0, se 0\.0\)"),
        ([0.55, math.inf, 1.0], [0.89, 0.75, 0.2], r"index 1 \(estimate inf"),
        ([0.5, 0.6], [-0.1, math.inf], r"index 0 .*, index 1 "),
    ],
)
def test_pooled_effect_error_names_the_offending_site(
    estimates: list[float], ses: list[float], where: str
) -> None:
    with pytest.raises(ValueError, match=where):
        pooled_effect(estimates, ses)
