"""Tests of association for tables of counts."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from analysis._arrays import NAN, FloatArray
from analysis.results import Contingency

FISHER_RELATIVE_TOLERANCE = 1e-7
"""Tables this close in probability to the observed one count as equally extreme (as in R)."""


def _fisher_two_sided(table: FloatArray) -> float:
    """Two-sided Fisher exact p for a 2×2 table, R's ``fisher.test`` rule.

    Sums the hypergeometric probabilities of every table with the observed
    margins that is no more likely than the observed one. NaN for an empty
    table or non-integer (for example weighted) counts.
    """
    if table.sum() == 0 or np.any(table != np.round(table)):
        return NAN
    (a, b), (c, d) = table
    row, col, total = int(a + b), int(a + c), int(a + b + c + d)
    support = np.arange(max(0, row + col - total), min(row, col) + 1)
    probabilities = stats.hypergeom.pmf(support, total, row, col)
    observed = float(stats.hypergeom.pmf(int(a), total, row, col))
    extreme = probabilities <= observed * (1.0 + FISHER_RELATIVE_TOLERANCE)
    return min(1.0, float(probabilities[extreme].sum()))


def _odds_ratio(table: FloatArray) -> float:
    """Sample odds ratio ad/bc: inf when only bc is zero, NaN when both are."""
    (a, b), (c, d) = table
    numerator, denominator = a * d, b * c
    if denominator == 0:
        return math.inf if numerator > 0 else NAN
    return float(numerator / denominator)


def contingency(table: ArrayLike) -> Contingency:
    """Pearson chi-square (no Yates correction) and Cramér's V for a table of counts.

    Rows or columns that are all zero carry no information about
    association and are left out of the chi-square, its ``dof`` and V; if
    fewer than two rows or columns remain, those are NaN with ``dof`` 0.
    A 2×2 input also gets the two-sided Fisher exact p and the sample odds
    ratio ad/bc; larger tables get None for both.
    """
    counts = np.asarray(table, dtype=np.float64)
    if counts.ndim != 2:
        raise ValueError(f"table must be two-dimensional, got shape {counts.shape}")
    if np.any(~np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("table must hold finite, non-negative counts")
    fisher_p = odds_ratio = None
    if counts.shape == (2, 2):
        fisher_p, odds_ratio = _fisher_two_sided(counts), _odds_ratio(counts)
    kept = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    rows, cols = kept.shape
    if rows < 2 or cols < 2:
        return Contingency(
            chi2=NAN, dof=0, p=NAN, cramers_v=NAN, fisher_p=fisher_p, odds_ratio=odds_ratio
        )
    total = kept.sum()
    expected = np.outer(kept.sum(axis=1), kept.sum(axis=0)) / total
    chi2 = float(((kept - expected) ** 2 / expected).sum())
    dof = (rows - 1) * (cols - 1)
    return Contingency(
        chi2=chi2,
        dof=dof,
        p=float(special.chdtrc(dof, chi2)),
        cramers_v=math.sqrt(chi2 / (total * min(rows - 1, cols - 1))),
        fisher_p=fisher_p,
        odds_ratio=odds_ratio,
    )
