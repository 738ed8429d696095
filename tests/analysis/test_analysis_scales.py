"""Scale scores, POMP and Cronbach's alpha against hand calculations and independent routes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from analysis import cronbach_alpha, pomp, score_scale

NAN = math.nan

# pingouin's documented example (datasets/cronbach_alpha.csv, 15 respondents × 10
# items); its docs print (0.5917188485995826, array([0.195, 0.84])).
PINGOUIN_EXAMPLE = np.array(
    [
        [3, 2, 4, 1, 4, 5, 1, 4, 3, 2],
        [5, 4, 6, 3, 5, 1, 2, 5, 5, 5],
        [7, 3, 5, 5, 6, 4, 3, 3, 6, 5],
        [2, 4, 3, 3, 2, 2, 2, 6, 6, 3],
        [6, 5, 6, 5, 4, 4, 4, 6, 7, 5],
        [1, 2, 3, 4, 2, 5, 2, 3, 5, 2],
        [4, 3, 5, 3, 5, 2, 1, 2, 4, 3],
        [2, 4, 4, 3, 7, 2, 2, 4, 6, 5],
        [6, 5, 5, 5, 1, 6, 5, 2, 3, 2],
        [5, 4, 6, 4, 3, 5, 3, 1, 7, 2],
        [4, 3, 5, 2, 5, 3, 2, 3, 4, 1],
        [4, 2, 3, 2, 5, 3, 4, 2, 3, 4],
        [5, 5, 6, 2, 3, 3, 2, 4, 4, 5],
        [6, 5, 5, 4, 2, 2, 1, 4, 6, 5],
        [4, 3, 5, 5, 3, 1, 3, 2, 3, 4],
    ],
    dtype=float,
)


def test_score_scale_reverse_codes_and_needs_more_than_half() -> None:
    items = np.array(
        [
            [5, 1, 4, 2],  # item 1 reversed: 5, 5, 4, 2 -> 4.0
            [4, NAN, 2, NAN],  # exactly half answered -> missing
            [NAN, 2, 3, 3],  # 4, 3, 3 -> 10/3
            [NAN, NAN, NAN, NAN],
        ]
    )
    scores = score_scale(items, reverse=(1,), scale_min=1, scale_max=5)
    np.testing.assert_allclose(scores[[0, 2]], [4.0, 10 / 3], rtol=0, atol=1e-12)
    assert np.isnan(scores[1]) and np.isnan(scores[3])


def test_score_scale_odd_item_count_and_negative_reverse_index() -> None:
    items = np.array([[1.0, NAN, 3.0], [0.0, 10.0, NAN]])
    # Two of three answered is more than half; -1 reverses the last column on 0–10.
    scores = score_scale(items, reverse=(-1,), scale_min=0, scale_max=10)
    np.testing.assert_allclose(scores, [(1 + 7) / 2, (0 + 10) / 2], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="reverse column 3"):
        score_scale(items, reverse=(3,))


def test_pomp_maps_floor_and_ceiling_and_keeps_missing() -> None:
    out = pomp([1, 2, 3, 5, NAN], 1, 5)
    np.testing.assert_allclose(out[:4], [0, 25, 50, 100], rtol=0, atol=1e-12)
    assert np.isnan(out[4])
    np.testing.assert_allclose(pomp([6.5], 0, 10), [65.0], rtol=0, atol=1e-12)


def test_alpha_matches_published_pingouin_example() -> None:
    result = cronbach_alpha(PINGOUIN_EXAMPLE)
    assert result.alpha == pytest.approx(0.5917188485995826, abs=1e-12)
    assert (round(result.ci_low, 3), round(result.ci_high, 3)) == (0.195, 0.84)
    assert (result.n, result.k) == (15, 10)


def _alpha_from_anova(items: np.ndarray) -> tuple[float, float, float]:
    """Alpha as ICC(3,k) = 1 − MS_error/MS_subject from a two-way ANOVA in statsmodels.

    The Feldt bounds are 1 − F_crit / F_subject, with F_subject from the ANOVA table.
    """
    n, k = items.shape
    long = pd.DataFrame(
        {
            "y": items.reshape(-1),
            "subject": np.repeat(np.arange(n), k).astype(str),
            "item": np.tile(np.arange(k), n).astype(str),
        }
    )
    table = sm.stats.anova_lm(smf.ols("y ~ C(subject) + C(item)", data=long).fit())
    ms_subject = table.loc["C(subject)", "mean_sq"]
    ms_error = table.loc["Residual", "mean_sq"]
    f_subject = ms_subject / ms_error
    df1, df2 = table.loc["C(subject)", "df"], table.loc["Residual", "df"]
    return (
        1 - ms_error / ms_subject,
        1 - stats.f.isf(0.025, df1, df2) / f_subject,
        1 - stats.f.isf(0.975, df1, df2) / f_subject,
    )


def test_alpha_and_feldt_ci_match_two_way_anova_listwise() -> None:
    rng = np.random.default_rng(7)
    latent = rng.normal(size=(60, 1))
    items = np.round(3 + latent + rng.normal(scale=0.9, size=(60, 4)))
    with_missing = items.copy()
    with_missing[[3, 17, 40], [0, 2, 3]] = NAN
    complete = np.delete(items, [3, 17, 40], axis=0)
    alpha, low, high = _alpha_from_anova(complete)
    result = cronbach_alpha(with_missing)
    assert (result.n, result.k) == (57, 4)
    assert result.alpha == pytest.approx(alpha, abs=1e-9)
    assert result.ci_low == pytest.approx(low, abs=1e-9)
    assert result.ci_high == pytest.approx(high, abs=1e-9)


@pytest.mark.parametrize(
    "items",
    [
        np.array([[1.0, 2.0, 3.0]]),  # one complete row
        np.array([[1.0], [2.0], [3.0]]),  # one item
        np.full((5, 3), 4.0),  # nobody varies
        np.array([[1.0, NAN], [NAN, 2.0]]),  # no complete rows
    ],
)
def test_alpha_degenerate_input_gives_nan_not_an_error(items: np.ndarray) -> None:
    result = cronbach_alpha(items)
    assert math.isnan(result.alpha) and math.isnan(result.ci_low) and math.isnan(result.ci_high)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        # 7-point answers scored as the default 1..5 scale.
        ([[7, 1, 6], [6, 2, 7], [2, 6, 1]], r"column 0: 6, 7; column 1: 6; column 2: 6, 7"),
        # A -99 "refused" code would be reverse-coded to 105.
        ([[4, 2, 5], [5, -99, 4]], r"column 1: -99\)"),
    ],
)
def test_score_scale_rejects_answers_off_the_scale(items: list[list[int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_scale(np.array(items), reverse=[1])
    with pytest.raises(ValueError, match=message):
        score_scale(np.array(items))


def test_score_scale_accepts_the_scale_ends_and_missing() -> None:
    # By hand: row 0 reversed middle 7 -> 1; row 1 has 1, (8 - 4), NaN -> 2.5.
    items = np.array([[1, 7, 7], [1, 4, NAN]])
    scores = score_scale(items, reverse=[1], scale_min=1, scale_max=7)
    np.testing.assert_allclose(scores, [(1 + 1 + 7) / 3, (1 + 4) / 2], rtol=0, atol=1e-12)


def test_pomp_rejects_scores_off_the_scale_and_names_them() -> None:
    with pytest.raises(ValueError, match=r"0 at index 0, 6 at index 1"):
        pomp([0, 6], 1, 5)
    with pytest.raises(ValueError, match=r"5\.5 at index 2"):
        pomp([1, NAN, 5.5], 1, 5)


def test_nullable_integer_dataframes_treat_pd_na_as_missing() -> None:
    df = pd.DataFrame(
        {"q1": [4, 3, 5, 2, None], "q2": [4, 3, 4, 3, 2], "q3": [5, 3, 5, 2, 4]}
    ).astype("Int64")
    # By hand on the four complete rows: item variances 5/3 + 1/3 + 9/4 = 4.25,
    # total-score variance 32.75/3, so alpha = 3/2 · (1 − 12.75/32.75) = 30/32.75.
    result = cronbach_alpha(df)
    assert result.n == 4 and result.k == 3
    assert result.alpha == pytest.approx(30 / 32.75, abs=1e-12)
    # The last respondent answered q2 and q3 only: (2 + 4) / 2.
    np.testing.assert_allclose(
        score_scale(df), [13 / 3, 3.0, 14 / 3, 7 / 3, 3.0], rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        pomp(pd.Series([1, None, 5], dtype="Int64"), 1, 5), [0.0, NAN, 100.0], rtol=0, atol=1e-12
    )
