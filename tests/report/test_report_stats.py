"""The report's own statistics on frequency tables, against independent references:
``analysis`` on the expanded respondents, statsmodels, and hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis import compare_independent, cronbach_alpha, diff_in_diff, effective_n, rake
from survey.report import weighted
from survey.report.aggregate import AlphaSums
from survey.report.reliability import alpha_from_sums
from survey.report.sample import Sample
from survey.report.weighting import OUTSIDE, rake_cells

RNG = np.random.default_rng(11)


def sample(values: list[float], counts: list[int], weights: list[float] | None = None) -> Sample:
    w = weights or [1.0] * len(values)
    return Sample.of(zip(values, counts, w, strict=True))


def test_sample_equals_the_expanded_respondents() -> None:
    s = sample([1, 2, 3, 4, 5], [3, 7, 12, 9, 4], [1.0, 2.0, 0.5, 1.5, 3.0])
    x = np.repeat(s.values, s.counts)
    w = np.repeat(s.weights, s.counts)
    assert s.n == 35
    assert s.mean() == pytest.approx(np.average(x, weights=w), rel=1e-14)
    assert s.n_eff() == pytest.approx(effective_n(w), rel=1e-14)
    equal = sample([1, 2, 3, 4, 5], [3, 7, 12, 9, 4])
    assert equal.variance() == pytest.approx(np.repeat(equal.values, equal.counts).var(ddof=1))
    assert equal.n_eff() == pytest.approx(35.0)
    assert s.shares() == pytest.approx({v: float(np.sum(w[x == v]) / w.sum()) for v in range(1, 6)})


def test_a_value_split_over_cells_counts_once_and_empty_rows_drop_out() -> None:
    """Weighted rows come per weighting cell: one value in several rows, some empty."""
    s = Sample.of_columns(
        [4.0, 2.0, 4.0, 5.0, 2.0, 3.0], [3, 5, 2, 0, 1, 4], [0.5, 1.0, 2.0, 9.0, 3.0, 1.5]
    )
    assert list(s.counts) == [3, 5, 2, 1, 4]
    # By hand: weight per value 4 → 3·0.5 + 2·2 = 5.5, 2 → 5·1 + 1·3 = 8, 3 → 4·1.5 = 6.
    assert s.n == 15
    assert s.total_weight == 19.5
    assert s.shares() == pytest.approx({2.0: 8 / 19.5, 3.0: 6 / 19.5, 4.0: 5.5 / 19.5})
    assert list(s.shares()) == [2.0, 3.0, 4.0]
    assert s.mean() == pytest.approx((2 * 8 + 3 * 6 + 4 * 5.5) / 19.5, rel=1e-14)
    assert Sample.of([]).n == 0 and Sample.of([]).shares() == {}
    assert Sample.of([(3.0, 0, 1.0)]).n == 0


def test_weighted_welch_with_equal_weights_is_welch() -> None:
    pre = sample([1, 2, 3, 4, 5], [4, 9, 15, 10, 2])
    post = sample([1, 2, 3, 4, 5], [2, 5, 12, 16, 8])
    ref = compare_independent(pre.expand(), post.expand())
    got = weighted.welch(pre, post)
    for a, b in (
        (got.diff, ref.diff),
        (got.t, ref.t),
        (got.df, ref.df),
        (got.p, ref.p),
        (got.ci_low, ref.ci_low),
        (got.ci_high, ref.ci_high),
        (got.hedges_g, ref.hedges_g),
    ):
        assert a == pytest.approx(b, rel=1e-10)


def test_weighted_welch_by_hand() -> None:
    pre = sample([2, 3, 4], [10, 20, 10], [1.0, 2.0, 3.0])
    post = sample([3, 4, 5], [8, 16, 16], [2.0, 1.0, 1.0])

    def by_hand(s: Sample) -> tuple[float, float, float]:
        x, w = np.repeat(s.values, s.counts), np.repeat(s.weights, s.counts)
        m = np.sum(w * x) / np.sum(w)
        ne = np.sum(w) ** 2 / np.sum(w**2)
        var = np.sum(w * (x - m) ** 2) / np.sum(w) * ne / (ne - 1)
        return float(m), float(var), float(ne)

    (m0, v0, n0), (m1, v1, n1) = by_hand(pre), by_hand(post)
    se = math.sqrt(v0 / n0 + v1 / n1)
    df = (v0 / n0 + v1 / n1) ** 2 / ((v0 / n0) ** 2 / (n0 - 1) + (v1 / n1) ** 2 / (n1 - 1))
    got = weighted.welch(pre, post)
    assert got.diff == pytest.approx(m1 - m0, rel=1e-12)
    assert got.se == pytest.approx(se, rel=1e-12) and got.df == pytest.approx(df, rel=1e-12)
    assert got.p == pytest.approx(2 * stats.t.sf(abs((m1 - m0) / se), df), rel=1e-9)
    assert got.ci_high == pytest.approx(m1 - m0 + stats.t.ppf(0.975, df) * se, rel=1e-12)


def test_weighted_did_is_wls_with_hc1() -> None:
    cells = [
        sample([1, 2, 3, 4, 5], list(RNG.integers(1, 12, 5)), list(RNG.uniform(0.5, 3, 5)))
        for _ in range(4)
    ]
    y = np.concatenate([c.expand() for c in cells])
    w = np.concatenate([np.repeat(c.weights, c.counts) for c in cells])
    treat = np.concatenate([np.full(c.n, g in (0, 1)) for g, c in enumerate(cells)])
    post = np.concatenate([np.full(c.n, g in (1, 3)) for g, c in enumerate(cells)])
    x = sm.add_constant(np.column_stack([treat, post, treat & post]).astype(float))
    fit = sm.WLS(y, x, weights=w).fit(cov_type="HC1")
    got = weighted.diff_in_diff(*cells)
    assert got.estimate == pytest.approx(fit.params[3], rel=1e-10)
    assert got.se == pytest.approx(fit.bse[3], rel=1e-10)
    assert got.p == pytest.approx(fit.pvalues[3], rel=1e-8)
    equal = [Sample(c.values, c.counts, np.ones_like(c.weights)) for c in cells]
    ref = diff_in_diff(*(c.expand() for c in equal))
    flat = weighted.diff_in_diff(*equal)
    assert flat.estimate == pytest.approx(ref.estimate) and flat.se == pytest.approx(ref.se_hc1)


def _sums(matrix: np.ndarray) -> AlphaSums:
    """The sums PostgreSQL returns, from a respondents × items matrix."""
    total = matrix.sum(axis=1)
    return AlphaSums(
        n=matrix.shape[0],
        total=float(total.sum()),
        total_squared=float((total**2).sum()),
        squares=float((matrix**2).sum()),
        items={5**j: float(matrix[:, j].sum()) for j in range(matrix.shape[1])},
    )


def test_alpha_from_sums_is_cronbach_alpha_on_the_respondents() -> None:
    matrix = RNG.integers(1, 6, size=(400, 4)).astype(float)
    matrix[:, 1] = np.clip(matrix[:, 0] + RNG.integers(-1, 2, 400), 1, 5)
    matrix[:, 3] = np.clip(matrix[:, 1] + RNG.integers(-1, 2, 400), 1, 5)
    got = alpha_from_sums(_sums(matrix), 4)
    ref = cronbach_alpha(matrix)
    assert (got.n, got.k) == (ref.n, ref.k)
    for a, b in ((got.alpha, ref.alpha), (got.ci_low, ref.ci_low), (got.ci_high, ref.ci_high)):
        assert a == pytest.approx(b, rel=1e-12)
    # Sums of groups add up to the sums of everyone (how languages pool).
    pooled = _sums(matrix[:150])
    pooled.add(_sums(matrix[150:]))
    assert alpha_from_sums(pooled, 4).alpha == pytest.approx(ref.alpha, rel=1e-12)
    assert math.isnan(alpha_from_sums(_sums(np.full((5, 2), 3.0)), 2).alpha)
    assert math.isnan(alpha_from_sums(_sums(matrix[:1]), 4).alpha)


def _respondents(cells: list[tuple[str | None, int]]) -> list[str | None]:
    return [cell for cell, n in cells for _ in range(n)]


def test_raking_cells_is_raking_the_respondents() -> None:
    cells = [
        ("age_band=18_24&gender=woman", 4),
        ("age_band=18_24&gender=man", 3),
        ("age_band=35_44&gender=woman", 20),
        ("age_band=35_44&gender=man", 15),
        ("age_band=35_44&gender=nonbinary", 2),
        ("gender=woman", 5),
        (None, 1),
    ]
    margins = {
        "age_band": {"18_24": 300.0, "35_44": 700.0},
        "gender": {"woman": 510.0, "man": 490.0},
    }
    got = rake_cells(cells, margins)
    assert got.status == "weighted"
    # The reference: one row per respondent; people outside a margin form a category
    # whose target is their sample share (the rule the report documents).
    people = _respondents(cells)
    parsed = [dict(p.split("=") for p in c.split("&")) if c else {} for c in people]
    columns, targets = {}, {}
    for var, totals in margins.items():
        col = [d.get(var) if d.get(var) in totals else OUTSIDE for d in parsed]
        share = col.count(OUTSIDE) / len(col)
        targets[var] = {k: v * (1 - share) for k, v in totals.items()}
        if share:
            targets[var][OUTSIDE] = 1000.0 * share
        columns[var] = col
    ref = rake(columns, targets)
    mine = np.array([got.weights[c] for c in people])
    assert mine == pytest.approx(ref, rel=1e-9)
    assert got.n_eff == pytest.approx(effective_n(ref), rel=1e-12)
    assert got.deff == pytest.approx(len(people) / effective_n(ref), rel=1e-12)


def test_raking_that_cannot_work_leaves_the_site_unweighted() -> None:
    cells = [("age_band=35_44", 12)]
    got = rake_cells(cells, {"age_band": {"18_24": 1.0, "35_44": 2.0}})
    assert got.status.startswith("not weighted: margin 'age_band' has categories with no")
    assert got.weights == {"age_band=35_44": 1.0} and got.n_eff is None
    assert rake_cells(cells, {}).status == "no margins"
    nobody = rake_cells([(None, 12)], {"gender": {"woman": 1.0}})
    assert nobody.status == "not weighted: nobody answered gender"
