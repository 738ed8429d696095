"""Raking and the Kish design effect against closed-form hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import effective_n, kish_deff, rake

TOL = 1e-9


def _two_by_two_rake(
    cells: dict[tuple[str, str], int], rows: dict[str, float], cols: dict[str, float]
) -> dict[tuple[str, str], float]:
    """Raked cell totals for two binary variables, solved in closed form.

    Raking multiplies each cell by a row factor and a column factor, so it keeps
    the sample cross-product ratio θ (Mosteller 1968). With x the raked total of
    cell (a, c): x(T − R − C + x) = θ(R − x)(C − x), a quadratic in x.
    """
    (r1, r2), (c1, c2) = list(rows), list(cols)
    theta = cells[r1, c1] * cells[r2, c2] / (cells[r1, c2] * cells[r2, c1])
    big_r, big_c, total = rows[r1], cols[c1], sum(rows.values())
    a = 1 - theta
    b = total - big_r - big_c + theta * (big_r + big_c)
    c = -theta * big_r * big_c
    roots = np.roots([a, b, c]).real
    x = next(root for root in roots if max(0, big_r + big_c - total) < root < min(big_r, big_c))
    return {
        (r1, c1): x,
        (r1, c2): big_r - x,
        (r2, c1): big_c - x,
        (r2, c2): total - big_r - big_c + x,
    }


def test_two_variable_rake_matches_closed_form() -> None:
    cells = {("f", "young"): 30, ("f", "old"): 10, ("m", "young"): 15, ("m", "old"): 25}
    gender = {"f": 5200.0, "m": 4800.0}
    age = {"young": 3500.0, "old": 6500.0}
    rows = [key for key, count in cells.items() for _ in range(count)]
    rows = rows[::3] + rows[1::3] + rows[2::3]  # interleave so input order matters
    weights = rake(
        {"gender": [g for g, _ in rows], "age": [a for _, a in rows]},
        {"gender": gender, "age": age},
    )
    expected = _two_by_two_rake(cells, gender, age)
    for key in cells:
        rows_in_cell = [i for i, row in enumerate(rows) if row == key]
        np.testing.assert_allclose(weights[rows_in_cell], expected[key] / cells[key], atol=TOL)
    assert weights.sum() == pytest.approx(10000.0, abs=TOL)


def test_rake_reproduces_three_margins_with_base_weights() -> None:
    rng = np.random.default_rng(5)
    n = 400
    columns = {
        "age": rng.choice(["18-34", "35-54", "55+"], n, p=[0.2, 0.35, 0.45]).tolist(),
        "gender": rng.choice(["f", "m"], n).tolist(),
        "language": rng.choice(["en", "es", "tl"], n, p=[0.7, 0.2, 0.1]).tolist(),
    }
    margins = {
        "age": {"18-34": 30000.0, "35-54": 34000.0, "55+": 36000.0},
        "gender": {"f": 51000.0, "m": 49000.0},
        "language": {"en": 78000.0, "es": 15000.0, "tl": 7000.0},
    }
    base = rng.uniform(0.5, 2.0, n)
    weights = rake(columns, margins, base_weights=base)
    for name, totals in margins.items():
        labels = np.array(columns[name])
        for category, total in totals.items():
            assert weights[labels == category].sum() == pytest.approx(total, rel=1e-9)


def test_trim_caps_weights_and_still_meets_margins() -> None:
    columns = {"group": ["a"] * 3 + ["b"] * 47, "sex": (["f", "m"] * 25)}
    margins = {"group": {"a": 300.0, "b": 700.0}, "sex": {"f": 500.0, "m": 500.0}}
    untrimmed = rake(columns, margins)
    assert untrimmed.max() > 5 * untrimmed.mean()
    # Three rows must carry 300 of 1,000, so no weight can stay under 4 × the mean of 20.
    with pytest.raises(ValueError, match="trim=4"):
        rake(columns, margins, trim=4)
    # Six "a" rows, five of them women, carry 250 of 1,000: untrimmed, the one "a" man
    # gets 2.8 × the mean weight. A cap of 2.5 is feasible once the "a" women take more.
    columns = {"group": ["a"] * 6 + ["b"] * 44, "sex": ["f"] * 5 + ["m"] + ["f", "m"] * 22}
    loose = {"group": {"a": 250.0, "b": 750.0}, "sex": {"f": 500.0, "m": 500.0}}
    assert rake(columns, loose).max() > 2.8 * 20
    capped = rake(columns, loose, trim=2.5)
    assert capped.max() <= 2.5 * capped.mean() * (1 + 1e-9)
    labels = np.array(columns["sex"])
    assert capped[labels == "f"].sum() == pytest.approx(500.0, rel=1e-9)
    assert capped[:6].sum() == pytest.approx(250.0, rel=1e-9)


@pytest.mark.parametrize(
    ("columns", "margins", "message"),
    [
        ({"age": ["a", "b"]}, {"age": {"a": 1.0, "b": 1.0, "c": 2.0}}, "no sample rows: 'c'"),
        ({"age": ["a", "z"]}, {"age": {"a": 1.0}}, "no margin: 'z'"),
        (
            {"age": ["a", "b"], "sex": ["f", "m"]},
            {"age": {"a": 1.0, "b": 1.0}, "sex": {"f": 2.0, "m": 3.0}},
            "totals disagree",
        ),
        ({"age": ["a"]}, {"sex": {"f": 1.0}}, "same variables"),
        (
            {"age": ["a", "b"], "sex": ["f"]},
            {"age": {"a": 1.0, "b": 1.0}, "sex": {"f": 2.0}},
            "has 1 rows",
        ),
        ({"age": ["a"]}, {"age": {"a": 0.0}}, "positive"),
    ],
)
def test_rake_rejects_bad_margins(
    columns: dict[str, list[str]], margins: dict[str, dict[str, float]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        rake(columns, margins)


def test_kish_design_effect_by_hand() -> None:
    weights = [1.0, 1.0, 2.0, 4.0, math.nan]
    # Σw = 8, Σw² = 22, n = 4 (the NaN weight is missing).
    assert kish_deff(weights) == pytest.approx(4 * 22 / 64, abs=TOL)
    assert effective_n(weights) == pytest.approx(64 / 22, abs=TOL)
    assert kish_deff([3.0] * 7) == pytest.approx(1.0, abs=TOL)
    assert effective_n([3.0] * 7) == pytest.approx(7.0, abs=TOL)
    assert math.isnan(kish_deff([])) and math.isnan(effective_n([]))


@pytest.mark.parametrize(
    ("weights", "where"),
    [([2.0, -1.0], r"-1 at index 1"), ([1.0, math.nan, math.inf], r"inf at index 2")],
)
def test_kish_refuses_negative_and_infinite_weights(weights: list[float], where: str) -> None:
    with pytest.raises(ValueError, match=where):
        kish_deff(weights)
    with pytest.raises(ValueError, match=where):
        effective_n(weights)


def test_kish_allows_zero_weights() -> None:
    # A zero weight leaves a respondent out of Σw and Σw² but counts in n: by hand
    # Σw = 3, Σw² = 5, n = 3.
    assert kish_deff([0.0, 1.0, 2.0]) == pytest.approx(3 * 5 / 9, abs=TOL)
    assert effective_n([0.0, 1.0, 2.0]) == pytest.approx(9 / 5, abs=TOL)
