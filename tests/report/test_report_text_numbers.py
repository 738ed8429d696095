"""How `survey report --format text` writes numbers: no signed zero, and p-values below
0.001 as a bound, as evaluators write them (a review found "DiD -0.0" and "Holm p 0.000")."""

from __future__ import annotations

import math

import pytest

from survey.cli.report import _num, _p


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (-0.0045, 1, "0.0"),
        (-0.0, 1, "0.0"),
        (-0.05, 1, "-0.1"),
        (-0.04999, 1, "0.0"),
        (-0.0004, 3, "0.000"),
        (-0.0006, 3, "-0.001"),
        (12.345, 1, "12.3"),
        (None, 1, "–"),
        (math.nan, 1, "–"),
        (math.inf, 1, "–"),
    ],
)
def test_numbers_have_no_negative_zero(value: float | None, digits: int, text: str) -> None:
    assert _num(value, digits) == text


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0, "< 0.001"), (3.3e-5, "< 0.001"), (0.000999, "< 0.001"), (0.001, "0.001"),
     (0.0123, "0.012"), (0.5, "0.500"), (1.0, "1.000")],
)
def test_small_p_values_are_a_bound(p: float, text: str) -> None:
    assert _p(p) == text
