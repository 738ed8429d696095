"""Power planning against statsmodels' TTestIndPower / TTestPower and the research note."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import TTestIndPower, TTestPower

from analysis import mde, sample_size
from analysis.power import t_power


@pytest.mark.parametrize("d", [0.2, 0.3, 0.4, 0.5, 0.8, 1.5, -0.3])
def test_sample_size_is_statsmodels_solution_rounded_up(d: float) -> None:
    continuous = TTestIndPower().solve_power(abs(d), alpha=0.05, power=0.8, ratio=1.0)
    assert sample_size(d) == math.ceil(continuous)


@pytest.mark.parametrize(
    ("d", "r", "pairs"), [(0.3, 0.0, 177), (0.3, 0.3, 125), (0.3, 0.5, 90), (0.3, 0.7, 55)]
)
def test_paired_sample_size_matches_statsmodels_and_research_table(
    d: float, r: float, pairs: int
) -> None:
    dz = d / math.sqrt(2 * (1 - r))
    assert sample_size(dz, paired=True) == math.ceil(
        TTestPower().solve_power(dz, nobs=None, alpha=0.05, power=0.8)
    )
    assert sample_size(dz, paired=True) == pairs


def test_sample_size_matches_research_note_table() -> None:
    assert [sample_size(d) for d in (0.2, 0.3, 0.4, 0.5)] == [394, 176, 100, 64]
    assert sample_size(0.3, alpha=0.01, power=0.9) == math.ceil(
        TTestIndPower().solve_power(0.3, alpha=0.01, power=0.9)
    )


@pytest.mark.parametrize(
    ("n", "published"),
    [(30, 0.736), (50, 0.566), (100, 0.398), (150, 0.325), (200, 0.281), (400, 0.198)],
)
def test_mde_matches_statsmodels_and_research_note(n: int, published: float) -> None:
    found = mde(n)
    # statsmodels' own root finder stops early (its answer has power 0.799999 at
    # n = 30), so the exact check is the power of our d under statsmodels' function.
    assert found == pytest.approx(
        TTestIndPower().solve_power(nobs1=n, alpha=0.05, power=0.8, ratio=1.0), abs=1e-5
    )
    assert TTestIndPower().power(found, nobs1=n, alpha=0.05, ratio=1.0) == pytest.approx(
        0.8, abs=1e-9
    )
    assert round(found, 3) == published


@pytest.mark.parametrize(
    ("d", "n", "paired"), [(0.3, 176, False), (0.55, 12.5, False), (0.25, 90, True), (1.2, 4, True)]
)
def test_power_function_matches_statsmodels(d: float, n: float, paired: bool) -> None:
    reference = (
        TTestPower().power(d, nobs=n, alpha=0.05)
        if paired
        else TTestIndPower().power(d, nobs1=n, alpha=0.05, ratio=1.0)
    )
    assert t_power(d, n, paired=paired) == pytest.approx(reference, abs=1e-9)


def test_planning_rejects_impossible_requests() -> None:
    with pytest.raises(ValueError, match="non-zero"):
        sample_size(0.0)
    with pytest.raises(ValueError, match="alpha"):
        sample_size(0.3, alpha=1.5)
    with pytest.raises(ValueError, match="at least 2"):
        mde(1)
    with pytest.raises(ValueError, match="exceed alpha"):
        mde(50, power=0.01)
    # Huge effects still need df > 0 and enough power: statsmodels says n = 2.12.
    assert sample_size(5.0) == 3
