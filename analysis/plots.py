"""Report charts drawn with matplotlib's object API, returned as PNG or SVG bytes.

Nothing here touches pyplot: a ``Figure`` with an Agg canvas holds no global
state, so charts can be drawn from server threads. Labels arrive already
translated, and ``number_format`` (for example a Babel formatter) renders
every tick number so charts follow the reader's locale. The matching alt
text comes from ``analysis.alt_text``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import Literal

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter
from numpy.typing import ArrayLike
from PIL import Image

from analysis.alt_text import DateFormat, NumberFormat, default_number, percentages
from analysis.chart_inputs import forest_inputs, likert_counts, monitor_series, trend_inputs
from analysis.text_fit import TextFit

ImageFormat = Literal["png", "svg"]

INK = "#222222"
GRID = "#bbbbbb"
NEUTRAL = "#cfcfcf"
ACCENT = "#0072B2"
# Okabe–Ito colours stay distinguishable under the common colour-vision deficiencies.
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
WIDTH_INCHES = 7.0
DPI = 150
MAX_DATE_TICKS = 8

METADATA: dict[str, dict[str, str | None]] = {"png": {"Software": None}, "svg": {"Date": None}}
# zlib level 4 is the fastest whose files were nowhere larger than savefig's.
PNG_COMPRESSION = 4


def _render(figure: Figure, image_format: ImageFormat) -> bytes:
    if image_format not in METADATA:
        raise ValueError(f"image_format must be 'png' or 'svg', got {image_format!r}")
    if image_format == "png":
        return _png(figure)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    # The SVG writer reads these from rcParams only. Text stays text (searchable,
    # readable by assistive tools) and a fixed salt keeps output byte-identical.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "analysis-plots"}):
        figure.savefig(buffer, format="svg", metadata=METADATA["svg"])
    return buffer.getvalue()


def _png(figure: Figure) -> bytes:
    """The figure drawn once by Agg at ``DPI``, its pixels encoded as PNG.

    ``savefig`` draws a laid-out (constrained) figure twice, once unseen to place it
    and once to paint; a single ``draw`` lays it out and paints it, giving the same
    pixels. The page is opaque, so the alpha channel (always 255) is left out, and
    zlib level 4 packs the rest: encoding takes about a third less time than
    ``savefig``'s RGBA at level 6, and the files come out about a tenth smaller.
    """
    figure.set_dpi(DPI)
    canvas = FigureCanvasAgg(figure)
    # matplotlib ships these without annotations.
    canvas.draw()  # type: ignore[no-untyped-call]
    rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]
    opaque = bool((rgba[..., 3] == 255).all())
    image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]) if opaque else rgba)
    buffer = io.BytesIO()
    # No text chunks (``METADATA["png"]`` drops matplotlib's Software entry); the
    # pHYs chunk says DPI, as savefig's does.
    image.save(buffer, format="png", dpi=(DPI, DPI), compress_level=PNG_COMPRESSION)
    return buffer.getvalue()


def _number_axis(axis: Axes, which: Literal["x", "y"], number_format: NumberFormat | None) -> None:
    # Without a locale formatter matplotlib's own keeps tick decimals consistent.
    if number_format is not None:
        formatter = FuncFormatter(lambda value, _position: number_format(float(value)))
        (axis.xaxis if which == "x" else axis.yaxis).set_major_formatter(formatter)


def _plain(axis: Axes) -> None:
    for side in ("top", "right"):
        axis.spines[side].set_visible(False)


def forest_plot(
    labels: Sequence[str],
    estimates: ArrayLike,
    ci_low: ArrayLike,
    ci_high: ArrayLike,
    pooled: tuple[float, float, float] | None = None,
    *,
    pooled_label: str = "Pooled",
    x_label: str = "",
    title: str = "",
    null_value: float = 0.0,
    number_format: NumberFormat | None = None,
    image_format: ImageFormat = "png",
    notes: Sequence[str] | None = None,
) -> bytes:
    """One row per site, estimate and CI, with the pooled estimate as a diamond.

    A site with a NaN estimate (for example a suppressed one) keeps its row
    label and draws nothing, so readers see it exists; its entry in ``notes``
    (one per site, "" for none), if any, is written on its row to say why.
    ``pooled`` is ``(estimate, ci_low, ci_high)``.
    """
    est, low, high, notes = forest_inputs(labels, estimates, ci_low, ci_high, notes)
    rows = len(labels)
    offset = 1.5 if pooled is not None else 0.0
    y = offset + np.arange(rows)[::-1]
    figure = Figure(figsize=(WIDTH_INCHES, 1.4 + 0.38 * (rows + offset)), layout="constrained")
    axis = figure.add_subplot()
    axis.axvline(null_value, color=GRID, linestyle="--", linewidth=1)
    axis.hlines(y, low, high, color=INK, linewidth=1.6)
    axis.plot(est, y, linestyle="none", marker="s", markersize=6, color=INK)
    for row, estimate, note in zip(y, est, notes, strict=True):
        if note and not np.isfinite(estimate):
            axis.annotate(
                note, (null_value, row), xytext=(4, 0), textcoords="offset points",
                va="center", ha="left", fontsize="small", fontstyle="italic", color=INK,
            )
    ticks, names = list(y), list(labels)
    if pooled is not None:
        centre, left, right = pooled
        axis.fill(
            [left, centre, right, centre],
            [0.0, 0.32, 0.0, -0.32],
            color=ACCENT,
            edgecolor=ACCENT,
        )
        ticks.append(0.0)
        names.append(pooled_label)
    axis.set_yticks(ticks, names)
    axis.set_ylim(-0.8, max(ticks, default=0.0) + 0.8)
    axis.tick_params(axis="y", length=0)
    _number_axis(axis, "x", number_format)
    axis.set_xlabel(x_label)
    axis.set_title(title, loc="left")
    _plain(axis)
    axis.spines["left"].set_visible(False)
    return _render(figure, image_format)


def _likert_bar(
    axis: Axes, y: float, shares: np.ndarray, colours: Sequence[tuple[float, ...]]
) -> None:
    """One stacked bar centred on zero: disagreement left, agreement right.

    A middle (neutral) category straddles zero, half on each side.
    """
    if np.isnan(shares).any():
        return
    k = shares.size
    left_of_zero = shares[: k // 2].sum() + (shares[k // 2] / 2.0 if k % 2 else 0.0)
    starts = -left_of_zero + np.concatenate(([0.0], np.cumsum(shares)[:-1]))
    bottom = y - LIKERT_BAR_HEIGHT / 2
    for start, share, colour in zip(starts, shares, colours, strict=True):
        # The segments are added as they are, not through ``barh``: it would also grow
        # the axes' data limits, a tenth of the chart's time, and the limits are set.
        axis.add_artist(Rectangle(
            (start, bottom), share, LIKERT_BAR_HEIGHT, facecolor=colour, edgecolor="white",
            linewidth=0.5,
        ))


# Likert layout, in points and inches: the wave names get a column of at most
# LIKERT_LABEL_WIDTH, the bars all the rest; each question is wrapped above its pair.
LIKERT_QUESTION_SIZE = 9.0
LIKERT_LABEL_SIZE = 8.5
LIKERT_LABEL_WIDTH = 1.5
LIKERT_LEGEND_WIDTH = 1.4
LIKERT_BAR_HEIGHT = 0.7
LINE = 1.35 / 72  # a line of text, in inches per point of font size


def diverging_likert(
    items: Sequence[str],
    pre_counts: ArrayLike,
    post_counts: ArrayLike,
    category_labels: Sequence[str],
    *,
    wave_labels: tuple[str, str] = ("Pre", "Post"),
    x_label: str = "%",
    title: str = "",
    number_format: NumberFormat | None = None,
    image_format: ImageFormat = "png",
) -> bytes:
    """Diverging stacked bars of answer shares, pre above post for each item.

    ``pre_counts`` and ``post_counts`` are items × categories counts (or shares),
    with categories ordered from the most negative to the most positive answer.
    Ticks show percentages of each wave's answers to the item.
    """
    figure = diverging_likert_figure(
        items,
        pre_counts,
        post_counts,
        category_labels,
        wave_labels=wave_labels,
        x_label=x_label,
        title=title,
        number_format=number_format,
    )
    return _render(figure, image_format)


def diverging_likert_figure(
    items: Sequence[str],
    pre_counts: ArrayLike,
    post_counts: ArrayLike,
    category_labels: Sequence[str],
    *,
    wave_labels: tuple[str, str] = ("Pre", "Post"),
    x_label: str = "%",
    title: str = "",
    number_format: NumberFormat | None = None,
) -> Figure:
    """The figure of ``diverging_likert``, laid out and not yet rendered.

    One row of axes per item: its question, wrapped to the bars' width, is the row's
    title, and the two bars are labelled by the wave names alone, so long questions
    and translations take height, never the bars' width.
    """
    tables = likert_counts(items, pre_counts, post_counts, category_labels)
    pre, post = (percentages(table) for table in tables)
    palette = matplotlib.colormaps["PuOr"]
    colours = [palette(x) for x in np.linspace(0.1, 0.9, len(category_labels))]
    if len(colours) % 2:
        # The palette's midpoint is near-white and would vanish on the page.
        colours[len(colours) // 2] = to_rgba(NEUTRAL)
    # Laid out by hand from measured text, not by constrained layout: with an axes per
    # question, the layout engine's measuring was most of the drawing time.
    figure = Figure(figsize=(WIDTH_INCHES, 4.0), dpi=DPI)
    fit = TextFit(FigureCanvasAgg(figure).get_renderer())  # type: ignore[no-untyped-call]
    waves = [fit.wrap(w, LIKERT_LABEL_SIZE, LIKERT_LABEL_WIDTH) for w in wave_labels]
    label_width = max(fit.width(w, LIKERT_LABEL_SIZE) for w in waves)
    left, right = label_width + 0.2, 0.25  # the wave names' column; half a "100"
    bars_width = WIDTH_INCHES - left - right
    questions = [fit.wrap(item, LIKERT_QUESTION_SIZE, bars_width) for item in items]
    legend = [fit.wrap(c, LIKERT_LABEL_SIZE, LIKERT_LEGEND_WIDTH) for c in category_labels]
    column = max((fit.width(c, LIKERT_LABEL_SIZE) for c in legend), default=0.0) + 0.5
    ncols = max(1, min(len(legend), 5, int((WIDTH_INCHES - 0.2) // column)))
    legend_rows = -(-len(legend) // ncols)
    legend_lines = legend_rows * (max(c.count("\n") for c in legend) + 1) if legend else 0
    wave_lines = sum(w.count("\n") + 1 for w in waves)
    bar_height = max(0.75, wave_lines * LIKERT_LABEL_SIZE * LINE + 0.3)
    heading = fit.wrap(title, 12, WIDTH_INCHES - 0.3)
    # Heights, in inches, from the top: title, then each question above its bars;
    # below the last, the x ticks, the axis label and the legend.
    pad, gap = 0.1, 0.12
    title_h = (heading.count("\n") + 1) * 12 * LINE + 0.1 if title else 0.0
    question_h = [(q.count("\n") + 1) * LIKERT_QUESTION_SIZE * LINE + 0.1 for q in questions]
    rows = max(len(items), 1)
    question_h += [0.0] * (rows - len(question_h))
    below = 2 * 10 * LINE + 0.3 + legend_lines * LIKERT_LABEL_SIZE * LINE + 0.2 * legend_rows
    height = pad + title_h + sum(question_h) + rows * bar_height + (rows - 1) * gap + below
    figure.set_size_inches(WIDTH_INCHES, height)
    axes: list[Axes] = []
    top = height - pad - title_h
    for index in range(rows):
        top -= question_h[index]
        axes.append(figure.add_axes((
            left / WIDTH_INCHES, (top - bar_height) / height,
            bars_width / WIDTH_INCHES, bar_height / height,
        ), sharex=axes[0] if axes else None))
        top -= bar_height + gap
    show = number_format or default_number
    for index, axis in enumerate(axes):
        if index < len(items):
            for y, shares in ((0.42, pre), (-0.42, post)):
                _likert_bar(axis, y, shares[index], colours)
            axis.set_yticks([0.42, -0.42], waves, fontsize=LIKERT_LABEL_SIZE)
            axis.set_title(questions[index], loc="left", fontsize=LIKERT_QUESTION_SIZE)
        axis.axvline(0.0, color=INK, linewidth=0.8)
        axis.set_ylim(-0.9, 0.9)
        axis.tick_params(axis="y", length=0)
        _plain(axis)
        axis.spines["left"].set_visible(False)
        if index < len(axes) - 1:
            axis.spines["bottom"].set_visible(False)
            axis.xaxis.set_visible(False)
    bottom = axes[-1]
    bottom.set_xlim(-100, 100)
    # Both directions count up from zero: the left side is a share too.
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda value, _p: show(abs(round(value)))))
    bottom.set_xlabel(x_label)
    if title:
        figure.suptitle(
            heading, x=0.02, y=1 - pad / height, ha="left", va="top", fontsize=12
        )
    handles = [
        Patch(facecolor=colour, label=label) for colour, label in zip(colours, legend, strict=True)
    ]
    figure.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.05 / height),
        ncols=ncols,
        frameon=False,
        fontsize=LIKERT_LABEL_SIZE,
    )
    return figure


def trend(
    wave_labels: Sequence[str],
    means: ArrayLike,
    ci_low: ArrayLike,
    ci_high: ArrayLike,
    series_labels: Sequence[str],
    *,
    y_label: str = "",
    title: str = "",
    number_format: NumberFormat | None = None,
    image_format: ImageFormat = "png",
) -> bytes:
    """Means with CI bars across waves, one line per series (site or construct).

    ``means``, ``ci_low`` and ``ci_high`` are series × waves; NaN leaves a gap.
    Series are nudged sideways so overlapping intervals stay readable.
    """
    m, lo, hi = trend_inputs(wave_labels, means, ci_low, ci_high, series_labels)
    figure = Figure(figsize=(WIDTH_INCHES, 4.2), layout="constrained")
    axis = figure.add_subplot()
    x = np.arange(len(wave_labels), dtype=np.float64)
    nudge = 0.06 * (np.arange(len(series_labels)) - (len(series_labels) - 1) / 2.0)
    for row, label in enumerate(series_labels):
        colour = SERIES_COLOURS[row % len(SERIES_COLOURS)]
        errors = np.vstack([m[row] - lo[row], hi[row] - m[row]])
        axis.errorbar(
            x + nudge[row],
            m[row],
            yerr=np.where(np.isfinite(errors), errors, 0.0),
            marker="o",
            capsize=3,
            color=colour,
            label=label,
        )
    axis.set_xticks(x, list(wave_labels))
    axis.set_xlim(-0.5, len(wave_labels) - 0.5)
    _number_axis(axis, "y", number_format)
    axis.set_ylabel(y_label)
    axis.set_title(title, loc="left")
    if len(series_labels) > 1:
        axis.legend(frameon=False)
    axis.grid(axis="y", color=GRID, linewidth=0.5)
    _plain(axis)
    return _render(figure, image_format)


def response_monitor(
    dates: Sequence[dt.date],
    counts_by_series: Mapping[str, ArrayLike],
    target: float | None = None,
    *,
    target_label: str = "Target",
    y_label: str = "",
    title: str = "",
    number_format: NumberFormat | None = None,
    date_format: DateFormat | None = None,
    image_format: ImageFormat = "png",
) -> bytes:
    """Cumulative responses stacked by series (channel or language) against a target.

    ``counts_by_series`` holds each series' new responses per date, aligned
    with ``dates``; the top of the stack is the running total. Date ticks use
    ``date_format`` (ISO dates by default) so month names can be localised.
    """
    series = monitor_series(dates, counts_by_series)
    x = np.array([day.toordinal() for day in dates], dtype=np.float64)
    figure = Figure(figsize=(WIDTH_INCHES, 4.2), layout="constrained")
    axis = figure.add_subplot()
    if series:
        stacks = [np.cumsum(counts) for counts in series.values()]
        area_x = x
        if x.size == 1:
            # An area needs two points: with one day of responses the stack rises
            # from nothing the day before, so that day's completes are seen.
            area_x, stacks = np.concatenate((x - 1.0, x)), [np.append(0.0, s) for s in stacks]
        axis.stackplot(
            area_x,
            *stacks,
            labels=list(series),
            colors=[SERIES_COLOURS[i % len(SERIES_COLOURS)] for i in range(len(series))],
            alpha=0.85,
        )
    top = float(sum(counts.sum() for counts in series.values()))
    if target is not None:
        axis.axhline(target, color=INK, linestyle="--", linewidth=1.2, label=target_label)
        top = max(top, target)
    if len(dates):
        picks = np.unique(np.linspace(0, len(dates) - 1, min(len(dates), MAX_DATE_TICKS)).round())
        show_date = date_format or dt.date.isoformat
        axis.set_xticks(x[picks.astype(int)], [show_date(dates[int(i)]) for i in picks])
        axis.tick_params(axis="x", labelrotation=30)
    _number_axis(axis, "y", number_format)
    axis.set_ylim(0, 1.08 * top if top > 0 else 1.0)
    axis.set_ylabel(y_label)
    axis.set_title(title, loc="left")
    axis.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    axis.grid(axis="y", color=GRID, linewidth=0.5)
    _plain(axis)
    return _render(figure, image_format)
