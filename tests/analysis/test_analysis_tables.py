"""Multiplicity adjustment and contingency tables against statsmodels, scipy and R output."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis import adjust_pvalues, contingency

NAN = math.nan
TOL = 1e-9

RAW = np.array([0.010, 0.040, 0.030, 0.040, 0.005, 0.200, 0.800, 0.049, 0.001])


@pytest.mark.parametrize(("method", "reference"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjustment_matches_statsmodels_with_ties(method: str, reference: str) -> None:
    expected = multipletests(RAW, method=reference)[1]
    np.testing.assert_allclose(adjust_pvalues(RAW, method), expected, rtol=0, atol=TOL)


@pytest.mark.parametrize(("method", "reference"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_missing_p_values_stay_in_place_and_leave_the_family(method: str, reference: str) -> None:
    with_gaps = np.array([NAN, 0.02, 0.5, NAN, 0.001, 0.03])
    adjusted = adjust_pvalues(with_gaps, method)
    present = ~np.isnan(with_gaps)
    assert np.array_equal(np.isnan(adjusted), ~present)
    np.testing.assert_allclose(
        adjusted[present], multipletests(with_gaps[present], method=reference)[1], atol=TOL
    )


def test_holm_hand_calculation_caps_at_one() -> None:
    # Sorted 0.01, 0.02, 0.6 -> 0.03, max(0.03, 0.04), max(0.04, 0.6).
    np.testing.assert_allclose(
        adjust_pvalues([0.6, 0.01, 0.02], "holm"), [0.6, 0.03, 0.04], atol=TOL
    )
    np.testing.assert_allclose(adjust_pvalues([0.9, 0.7], "holm"), [1.0, 1.0], atol=TOL)


def test_adjustment_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="holm"):
        adjust_pvalues([0.1], "bonferroni")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues([1.2], "bh")
    assert adjust_pvalues([], "bh").size == 0


def test_tea_tasting_two_by_two_by_hand() -> None:
    # R: fisher.test(matrix(c(3, 1, 1, 3), 2)) gives p-value = 0.4857 (Fisher's tea tasting).
    # Chi-square by hand: every expected count is 2, so chi2 = 4 · 1²/2 = 2 and V = √(2/8).
    result = contingency([[3, 1], [1, 3]])
    assert result.fisher_p == pytest.approx(34 / 70, abs=TOL)
    assert result.odds_ratio == pytest.approx(9.0, abs=TOL)
    assert result.chi2 == pytest.approx(2.0, abs=TOL)
    assert result.dof == 1
    assert result.p == pytest.approx(math.erfc(1.0), abs=TOL)  # P(χ²₁ > 2) = erfc(1)
    assert result.cramers_v == pytest.approx(0.5, abs=TOL)


@pytest.mark.parametrize(
    "table",
    [
        [[12, 5], [3, 9]],
        [[0, 7], [8, 2]],
        [[20, 14], [11, 30]],
        [[1, 40], [9, 3]],
        [[5, 5], [5, 5]],
    ],
)
def test_two_by_two_matches_scipy(table: list[list[int]]) -> None:
    result = contingency(table)
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    assert result.chi2 == pytest.approx(chi2, abs=TOL)
    assert result.p == pytest.approx(p, abs=TOL)
    assert result.dof == dof
    assert result.fisher_p == pytest.approx(stats.fisher_exact(table).pvalue, abs=TOL)


def test_larger_table_matches_scipy_and_skips_two_by_two_fields() -> None:
    table = np.array([[10, 22, 31, 9, 4], [15, 18, 20, 14, 12], [3, 5, 8, 12, 20]])
    result = contingency(table)
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    assert (result.chi2, result.p, result.dof) == (
        pytest.approx(chi2, abs=TOL),
        pytest.approx(p, abs=TOL),
        dof,
    )
    assert result.cramers_v == pytest.approx(
        stats.contingency.association(table, method="cramer"), abs=TOL
    )
    assert result.fisher_p is None and result.odds_ratio is None


def test_odds_ratio_edges_and_empty_categories() -> None:
    assert contingency([[4, 0], [3, 5]]).odds_ratio == math.inf
    undefined = contingency([[0, 0], [3, 5]]).odds_ratio
    assert undefined is not None and math.isnan(undefined)
    # A category nobody chose is left out rather than making chi-square undefined.
    with_empty = contingency([[10, 0, 5], [4, 0, 11]])
    assert with_empty.chi2 == pytest.approx(contingency([[10, 5], [4, 11]]).chi2, abs=TOL)
    assert with_empty.dof == 1 and with_empty.fisher_p is None
    one_column = contingency([[3, 0], [5, 0]])
    assert math.isnan(one_column.chi2) and one_column.dof == 0
    assert one_column.fisher_p == pytest.approx(1.0, abs=TOL)


def test_weighted_counts_get_chi_square_but_no_fisher() -> None:
    result = contingency([[3.5, 1.2], [1.0, 3.3]])
    assert math.isfinite(result.chi2) and result.fisher_p is not None
    assert math.isnan(result.fisher_p)
    with pytest.raises(ValueError, match="non-negative"):
        contingency([[1, -1], [2, 3]])


@pytest.mark.parametrize("p", [[], [math.nan], [math.nan, math.nan]])
def test_adjustment_checks_the_method_even_with_nothing_to_adjust(p: list[float]) -> None:
    with pytest.raises(ValueError, match="'holm' or 'bh', got 'bonferroni'"):
        adjust_pvalues(p, "bonferroni")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="got 'fdr'"):
        adjust_pvalues(p, "fdr")  # type: ignore[arg-type]


def test_infinite_and_undefined_odds_ratios_both_encode_as_json_null() -> None:
    # As the README warns: JSON has no infinity, so inf (only bc = 0) and NaN
    # (ad = bc = 0) look the same once encoded.
    infinite = contingency([[5, 0], [0, 5]])
    assert infinite.odds_ratio == math.inf
    assert b'"odds_ratio":null' in msgspec.json.encode(infinite)
    assert b'"odds_ratio":null' in msgspec.json.encode(contingency([[0, 0], [3, 5]]))
