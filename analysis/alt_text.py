"""Plain-text alternatives for the charts in ``analysis.plots``.

Each function takes the same data as its chart and returns one line of text
that a screen reader can speak. Words come only from the labels passed in,
which the caller has already translated; numbers go through ``number_format``
so they follow the reader's locale.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from analysis.chart_inputs import forest_inputs, likert_counts, monitor_series, trend_inputs

NumberFormat = Callable[[float], str]
DateFormat = Callable[[dt.date], str]

MISSING = "–"
"""Shown for a value that is missing or suppressed."""


def default_number(value: float) -> str:
    """Whole numbers without decimals, anything else to two decimals."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def figure_number(values: ArrayLike, number_format: NumberFormat | None) -> NumberFormat:
    """``number_format`` if given, else one format for every number of a figure.

    Deciding per number would say "3 [2.80, 3.20]": whole numbers lose their
    decimals beside ones that keep them. So all numbers get two decimals unless
    every finite one is whole.
    """
    if number_format is not None:
        return number_format
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    if np.all(finite == np.round(finite)):
        return lambda value: f"{value:.0f}"
    return lambda value: f"{value:.2f}"


def _number(value: float, number_format: NumberFormat | None) -> str:
    if not math.isfinite(value):
        return MISSING
    return (number_format or default_number)(value)


def _interval(estimate: float, low: float, high: float, number_format: NumberFormat | None) -> str:
    text = _number(estimate, number_format)
    if math.isfinite(low) and math.isfinite(high):
        text += f" [{_number(low, number_format)}, {_number(high, number_format)}]"
    return text


def _sentence(title: str, parts: Sequence[str]) -> str:
    body = "; ".join(parts)
    return f"{title}. {body}" if title else body


def percentages(counts: ArrayLike) -> np.ndarray:
    """Row percentages of a count table; rows with no answers become NaN."""
    table = np.asarray(counts, dtype=np.float64)
    totals = table.sum(axis=1, keepdims=True)
    safe = np.where(totals > 0, totals, 1.0)
    return np.where(totals > 0, 100.0 * table / safe, np.nan)


def forest_plot_alt(
    labels: Sequence[str],
    estimates: ArrayLike,
    ci_low: ArrayLike,
    ci_high: ArrayLike,
    pooled: tuple[float, float, float] | None = None,
    *,
    pooled_label: str = "Pooled",
    title: str = "",
    number_format: NumberFormat | None = None,
    notes: Sequence[str] | None = None,
) -> str:
    """Each site's estimate with its CI in brackets, then the pooled estimate.

    ``notes`` (one per site, "" for none) is said instead of a missing estimate, so a
    listener hears why a site has none, as a sighted reader sees it on the plot.
    """
    est, low, high, notes = forest_inputs(labels, estimates, ci_low, ci_high, notes)
    number_format = figure_number(
        np.concatenate([est, low, high, np.asarray(pooled or (), dtype=np.float64)]), number_format
    )
    rows = zip(labels, est, low, high, notes, strict=True)
    parts = [
        f"{label}: {note if note and not math.isfinite(e) else _interval(e, lo, hi, number_format)}"
        for label, e, lo, hi, note in rows
    ]
    if pooled is not None:
        parts.append(f"{pooled_label}: {_interval(*pooled, number_format)}")
    return _sentence(title, parts)


def diverging_likert_alt(
    items: Sequence[str],
    pre_counts: ArrayLike,
    post_counts: ArrayLike,
    category_labels: Sequence[str],
    *,
    wave_labels: tuple[str, str] = ("Pre", "Post"),
    title: str = "",
    number_format: NumberFormat | None = None,
    counts: bool = True,
) -> str:
    """Per item and wave, each answer category's percentage and count.

    With ``counts=False`` the tables hold shares (weighted ones, say, which are no
    count of people): each category's percentage is said and no count.
    """
    tables = likert_counts(items, pre_counts, post_counts, category_labels)
    shown = [np.round(percentages(t)) for t in tables] + (list(tables) if counts else [])
    number_format = figure_number(np.concatenate([a.ravel() for a in shown]), number_format)
    parts = []
    for index, item in enumerate(items):
        waves = []
        for wave, table in zip(wave_labels, tables, strict=True):
            row = table[index]
            share = percentages(row[np.newaxis, :])[0]
            cells = ", ".join(
                f"{category} {_number(float(np.round(p)), number_format)}%"
                + (f" ({_number(float(c), number_format)})" if counts else "")
                for category, p, c in zip(category_labels, share, row, strict=True)
            )
            waves.append(f"{wave}: {cells}")
        parts.append(f"{item} — {'; '.join(waves)}")
    return _sentence(title, parts)


def trend_alt(
    wave_labels: Sequence[str],
    means: ArrayLike,
    ci_low: ArrayLike,
    ci_high: ArrayLike,
    series_labels: Sequence[str],
    *,
    title: str = "",
    number_format: NumberFormat | None = None,
) -> str:
    """Each series' mean and CI at every wave."""
    m, lo, hi = trend_inputs(wave_labels, means, ci_low, ci_high, series_labels)
    number_format = figure_number(np.concatenate([a.ravel() for a in (m, lo, hi)]), number_format)
    parts = []
    for r, series in enumerate(series_labels):
        points = ", ".join(
            f"{wave} {_interval(m[r, c], lo[r, c], hi[r, c], number_format)}"
            for c, wave in enumerate(wave_labels)
        )
        parts.append(f"{series}: {points}")
    return _sentence(title, parts)


def response_monitor_alt(
    dates: Sequence[dt.date],
    counts_by_series: Mapping[str, ArrayLike],
    target: float | None = None,
    *,
    total_label: str = "Total",
    target_label: str = "Target",
    title: str = "",
    number_format: NumberFormat | None = None,
    date_format: DateFormat | None = None,
) -> str:
    """Responses so far per series and in total, the target, and the date range."""
    show_date = date_format or dt.date.isoformat
    totals = {name: float(c.sum()) for name, c in monitor_series(dates, counts_by_series).items()}
    shown = [*totals.values(), sum(totals.values()), *([target] if target is not None else [])]
    number_format = figure_number(shown, number_format)
    parts = [f"{name}: {_number(total, number_format)}" for name, total in totals.items()]
    parts.append(f"{total_label}: {_number(sum(totals.values()), number_format)}")
    if target is not None:
        parts.append(f"{target_label}: {_number(target, number_format)}")
    if dates:
        parts.append(f"{show_date(dates[0])} – {show_date(dates[-1])}")
    return _sentence(title, parts)
