"""Survey weights: raking to population margins and the Kish design effect."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from analysis._arrays import NAN, FloatArray, IntArray, vector

TOTALS_AGREE = 1e-6
"""Largest relative gap allowed between the population totals of two margins."""


class _Margin:
    """One raking variable: each row's category index and the target shares."""

    def __init__(
        self,
        name: str,
        rows: Sequence[Hashable],
        totals: Mapping[Hashable, float],
        n_rows: int,
    ) -> None:
        if len(rows) != n_rows:
            raise ValueError(f"column {name!r} has {len(rows)} rows, expected {n_rows}")
        if not totals:
            raise ValueError(f"margin {name!r} lists no categories")
        index = {category: position for position, category in enumerate(totals)}
        unknown = sorted({repr(row) for row in rows if row not in index})
        if unknown:
            raise ValueError(f"column {name!r} has categories with no margin: {', '.join(unknown)}")
        target = np.array([float(totals[category]) for category in totals])
        if np.any(~np.isfinite(target)) or np.any(target <= 0):
            raise ValueError(f"margin {name!r} needs a positive, finite total per category")
        self.name = name
        self.codes: IntArray = np.array([index[row] for row in rows], dtype=np.int64)
        self.total = float(target.sum())
        self.share: FloatArray = target / self.total
        empty = [repr(c) for c, seen in zip(totals, self._counts(), strict=True) if not seen]
        if empty:
            raise ValueError(
                f"margin {name!r} has categories with no sample rows: {', '.join(empty)}; "
                "collapse them into a neighbouring category"
            )

    def _counts(self) -> IntArray:
        return np.bincount(self.codes, minlength=self.share.size)

    def current(self, weights: FloatArray) -> FloatArray:
        return np.bincount(self.codes, weights=weights, minlength=self.share.size).astype(
            np.float64
        )

    def adjust(self, weights: FloatArray) -> FloatArray:
        return weights * (self.share / self.current(weights))[self.codes]

    def error(self, weights: FloatArray) -> float:
        return float(np.max(np.abs(self.current(weights) - self.share)))


def rake(
    columns: Mapping[str, Sequence[Hashable]],
    margins: Mapping[str, Mapping[Hashable, float]],
    base_weights: ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
    trim: float | None = None,
) -> FloatArray:
    """Rake weights to population margins by iterative proportional fitting.

    ``columns`` maps each raking variable to every row's category;
    ``margins`` maps the same variables to ``{category: population total}``.
    Returns one weight per row, in input order, summing to the population
    total. Iteration stops when every margin is within ``tol`` of its target,
    measured as a share of the population, so ``tol`` means the same for a
    county and for a state.

    ``trim`` caps weights at ``trim`` × the mean weight after each sweep and
    rakes again, until the capped weights also meet the margins.

    Raises ValueError when the variables of ``columns`` and ``margins``
    differ, a row's category has no margin, a margin category has no sample
    rows, the margins' totals disagree, or the weights do not converge in
    ``max_iter`` sweeps (for example when ``trim`` is too tight for the margins).
    """
    if not margins:
        raise ValueError("rake needs at least one margin")
    if set(columns) != set(margins):
        missing = sorted(set(margins) ^ set(columns))
        raise ValueError(f"columns and margins must name the same variables; differ on {missing}")
    if trim is not None and not trim > 1:
        raise ValueError(f"trim must exceed 1 (a multiple of the mean weight), got {trim}")
    names = list(margins)
    n_rows = len(columns[names[0]])
    if n_rows == 0:
        raise ValueError("rake needs at least one row")
    plan = [_Margin(name, columns[name], margins[name], n_rows) for name in names]
    population = plan[0].total
    for margin in plan[1:]:
        if abs(margin.total - population) > TOTALS_AGREE * population:
            raise ValueError(
                f"margin totals disagree: {plan[0].name!r} sums to {population:g} "
                f"but {margin.name!r} sums to {margin.total:g}"
            )
    weights = _base(base_weights, n_rows)
    error = NAN
    for _ in range(max_iter):
        for margin in plan:
            weights = margin.adjust(weights)
        if trim is not None:
            weights = np.minimum(weights, trim * weights.mean())
        error = max(margin.error(weights) for margin in plan)
        if error < tol:
            return weights * (population / float(weights.sum()))
    raise ValueError(
        f"raking did not converge in {max_iter} sweeps: a margin is still off by "
        f"{error:.3g} of the population"
        + (f"; trim={trim} may be too tight for these margins" if trim is not None else "")
    )


def _base(base_weights: ArrayLike | None, n_rows: int) -> FloatArray:
    if base_weights is None:
        return np.full(n_rows, 1.0 / n_rows)
    base = vector(base_weights, "base_weights")
    if base.size != n_rows:
        raise ValueError(f"base_weights has {base.size} entries, expected {n_rows}")
    if np.any(~np.isfinite(base)) or np.any(base <= 0):
        raise ValueError("base_weights must be positive and finite")
    return base / float(base.sum())


def _weights(weights: ArrayLike) -> FloatArray:
    """The answered weights, refusing negative or infinite ones.

    A negative weight makes the Kish formulas return numbers that look like
    design effects but mean nothing (deff 10 for [2, −1]); zero is allowed, as
    a respondent left out.
    """
    w = vector(weights, "weights")
    bad = np.flatnonzero(~np.isnan(w) & ~(np.isfinite(w) & (w >= 0)))
    if bad.size:
        described = ", ".join(f"{w[i]:g} at index {i}" for i in bad)
        raise ValueError(f"weights must be non-negative and finite, got {described}")
    return w[~np.isnan(w)]


def kish_deff(weights: ArrayLike) -> float:
    """Kish design effect from unequal weighting, n·Σw² / (Σw)².

    NaN weights are dropped; a negative or infinite weight raises ``ValueError``.
    """
    w = _weights(weights)
    total = float(w.sum())
    if w.size == 0 or total == 0:
        return NAN
    return float(w.size * np.sum(w**2) / total**2)


def effective_n(weights: ArrayLike) -> float:
    """Kish effective sample size, (Σw)² / Σw².

    NaN weights are dropped; a negative or infinite weight raises ``ValueError``.
    """
    w = _weights(weights)
    squares = float(np.sum(w**2))
    if squares == 0:
        return NAN
    return float(w.sum()) ** 2 / squares
