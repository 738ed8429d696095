"""Input checks shared by each chart in ``analysis.plots`` and its alt text.

A chart and its alt text take the same data, so they must refuse the same
mismatches with the same message: alt text that quietly describes data its
chart would reject misleads exactly the reader who cannot see the chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from analysis._arrays import FloatArray


def same_length(**columns: Sequence[object] | np.ndarray) -> None:
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"inputs must have the same length, got {lengths}")


def forest_inputs(
    labels: Sequence[str],
    estimates: ArrayLike,
    ci_low: ArrayLike,
    ci_high: ArrayLike,
    notes: Sequence[str] | None,
) -> tuple[FloatArray, FloatArray, FloatArray, Sequence[str]]:
    """Estimates and CI bounds as float arrays, and one note per site ("" for none)."""
    est, low, high = (
        np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (estimates, ci_low, ci_high)
    )
    if notes is None:
        same_length(labels=labels, estimates=est, ci_low=low, ci_high=high)
        return est, low, high, [""] * len(labels)
    same_length(labels=labels, estimates=est, ci_low=low, ci_high=high, notes=notes)
    return est, low, high, notes


def likert_counts(
    items: Sequence[str],
    pre_counts: ArrayLike,
    post_counts: ArrayLike,
    category_labels: Sequence[str],
) -> tuple[FloatArray, FloatArray]:
    """Both count tables as items × categories float arrays."""
    pre, post = (np.asarray(c, dtype=np.float64) for c in (pre_counts, post_counts))
    if pre.shape != post.shape or pre.shape != (len(items), len(category_labels)):
        raise ValueError(
            f"counts must be {len(items)} items × {len(category_labels)} categories, "
            f"got {pre.shape} and {post.shape}"
        )
    return pre, post


def trend_inputs(
    wave_labels: Sequence[str],
    means: ArrayLike,
    ci_low: ArrayLike,
    ci_high: ArrayLike,
    series_labels: Sequence[str],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Means and CI bounds as series × waves float arrays."""
    m, lo, hi = (np.atleast_2d(np.asarray(a, dtype=np.float64)) for a in (means, ci_low, ci_high))
    expected = (len(series_labels), len(wave_labels))
    if not m.shape == lo.shape == hi.shape == expected:
        raise ValueError(
            f"means and CIs must be series × waves {expected}, "
            f"got {m.shape}, {lo.shape} and {hi.shape}"
        )
    return m, lo, hi


def monitor_series(
    dates: Sequence[dt.date], counts_by_series: Mapping[str, ArrayLike]
) -> dict[str, FloatArray]:
    """Each series' counts per date as a float array, missing counts as 0."""
    series = {
        name: np.nan_to_num(np.asarray(c, dtype=np.float64)) for name, c in counts_by_series.items()
    }
    for name, counts in series.items():
        if counts.shape != (len(dates),):
            raise ValueError(f"series {name!r} has {counts.size} counts for {len(dates)} dates")
    return series
