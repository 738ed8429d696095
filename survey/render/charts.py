"""Charts for reports and the monitor: PNG bytes, alt text and the table beside them.

``analysis.plots`` draws with the Figure API (no pyplot, no global state); each
chart is rendered in a worker thread so the event loop keeps serving requests.
Numbers go through Babel for the reader's locale, in the picture and in the text.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import msgspec

from analysis import alt_text, plots
from survey.i18n import format_date, format_number, format_percent
from survey.render.labels import HIDDEN_LABELS


class Chart(msgspec.Struct, kw_only=True):
    title: str
    alt: str
    png: bytes
    head: list[str]
    rows: list[list[str]]

    @property
    def data_uri(self) -> str:
        # Inline, so the HTML report and its PDF are self-contained (CSP allows data:).
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


class PngMemo:
    """Pictures kept per worker process, least recently used first out.

    A report's charts are drawn again for each page view, site switch and HTML or PDF
    download, though the report itself comes from its cache; drawing them is most of
    such a request (0.1–0.5 s a chart). Keyed by everything the picture is drawn
    from, so a changed number or label is a new entry; bounded in bytes, so memory
    stays flat however many reports are read.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._pngs: OrderedDict[bytes, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pngs)

    async def get(self, key: tuple[Any, ...], draw: Callable[[], bytes]) -> bytes:
        # repr, not JSON: it tells NaN (a suppressed site) from infinity.
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
        png = self._pngs.get(digest)
        if png is not None:
            self._pngs.move_to_end(digest)
            return png
        png = await anyio.to_thread.run_sync(draw)
        if digest not in self._pngs:  # another request may have drawn it meanwhile
            self._pngs[digest] = png
            self.held += len(png)
        while self.held > self.limit:
            self.held -= len(self._pngs.popitem(last=False)[1])
        return png


#: 16 MiB: about 250 forest plots of 12 sites.
PNGS = PngMemo(16 * 1024 * 1024)


def number_format(locale: str, digits: int = 1) -> Callable[[float], str]:
    def show(value: float) -> str:
        if not math.isfinite(value):
            return alt_text.MISSING
        return format_number(value, locale, digits)

    return show


async def forest(
    title: str,
    labels: list[str],
    est: list[float],
    low: list[float],
    high: list[float],
    pooled: tuple[float, float, float] | None,
    *,
    t: Callable[..., str],
    locale: str,
    statuses: list[str] | None = None,
) -> Chart:
    """``statuses`` says why each site with no estimate has none (``labels.hidden_status``
    of its waves): a site that is not one of a compared wave's sites was never asked
    there, so it reads "not in this wave" (as in the site sections); one withheld for
    the suspected duplicates a report leaves out says so. Neither reads as suppressed."""
    fmt = number_format(locale)
    words = [HIDDEN_LABELS.get(s) for s in statuses or [""] * len(labels)]
    notes = [t(w[0]) if w else "" for w in words]
    reasons = [t(w[1]) if w else "" for w in words]
    kw: dict[str, Any] = {
        "pooled": pooled,
        "pooled_label": t("All sites (pooled)"),
        "number_format": fmt,
    }
    png = await PNGS.get(
        ("forest", locale, labels, est, low, high, pooled, kw["pooled_label"],
         t("Change in score (post − pre, 0–100)"), notes),
        lambda: plots.forest_plot(
            labels, est, low, high, x_label=t("Change in score (post − pre, 0–100)"),
            notes=notes, **kw
        )
    )
    alt = alt_text.forest_plot_alt(labels, est, low, high, title=title, notes=notes, **kw)
    rows = [
        [lab, fmt(e), f"{fmt(lo)} – {fmt(hi)}"]
        if math.isfinite(e)
        else [lab, note, reason]
        if note
        # No estimate: the site is suppressed (too few respondents) or has no data.
        else [lab, t("suppressed"), t("fewer than 10 respondents")]
        for lab, e, lo, hi, note, reason in zip(labels, est, low, high, notes, reasons,
                                                 strict=True)
    ]
    if pooled is not None:
        rows.append(
            [t("All sites (pooled)"), fmt(pooled[0]), f"{fmt(pooled[1])} – {fmt(pooled[2])}"]
        )
    return Chart(
        title=title,
        alt=alt,
        png=png,
        rows=rows,
        head=[t("Site"), t("Change"), t("95% confidence interval")],
    )


async def likert(
    title: str,
    items: list[str],
    pre: list[list[float]],
    post: list[list[float]],
    categories: list[str],
    waves: tuple[str, str],
    *,
    t: Callable[..., str],
    locale: str,
) -> Chart:
    """``items`` are the questions, whole: the picture wraps each above its bars.

    ``pre`` and ``post`` are items × categories shares (the report's, weighted when
    it is): the picture, the alt text and the table give percentages and no counts.
    """
    fmt = number_format(locale, 0)
    png = await PNGS.get(
        ("likert", locale, items, pre, post, categories, waves, t("Share of answers (%)")),
        lambda: plots.diverging_likert(
            items,
            pre,
            post,
            categories,
            wave_labels=waves,
            number_format=fmt,
            x_label=t("Share of answers (%)"),
        )
    )
    alt = alt_text.diverging_likert_alt(
        items,
        pre,
        post,
        categories,
        wave_labels=waves,
        title=title,
        number_format=fmt,
        counts=False,
    )
    share_pre, share_post = alt_text.percentages(pre), alt_text.percentages(post)
    rows = []
    for i, item in enumerate(items):
        for wave, shares in ((waves[0], share_pre[i]), (waves[1], share_post[i])):
            rows.append([item, wave, *(format_percent(float(s) / 100, locale) for s in shares)])
    return Chart(
        title=title, alt=alt, png=png, rows=rows, head=[t("Question"), t("Wave"), *categories]
    )


async def trend(
    title: str,
    waves: list[str],
    series: list[str],
    means: list[list[float]],
    low: list[list[float]],
    high: list[list[float]],
    *,
    t: Callable[..., str],
    locale: str,
) -> Chart:
    fmt = number_format(locale)
    png = await PNGS.get(
        ("trend", locale, waves, series, means, low, high, t("Score (0–100)")),
        lambda: plots.trend(
            waves, means, low, high, series, y_label=t("Score (0–100)"), number_format=fmt
        )
    )
    alt = alt_text.trend_alt(waves, means, low, high, series, title=title, number_format=fmt)
    rows = [[name, *(fmt(m) for m in row)] for name, row in zip(series, means, strict=True)]
    return Chart(title=title, alt=alt, png=png, rows=rows, head=[t("Measure"), *waves])


async def monitor_chart(
    fieldwork: Any,
    t: Callable[..., str],
    locale: str,
    *,
    channel: Callable[[str], str],
    today: dt.date,
) -> tuple[bytes, str]:
    """Cumulative completes by channel against the wave's target.

    ``channel`` names a channel as the monitor's tables do ("Web survey", not
    "web"), so legend, alt text and tables agree. ``today`` is the date in the
    sites' own zone: with no completes yet the axis shows that one day, and the
    daily counts are in that zone too.
    """
    days = sorted({d.day for d in fieldwork.daily}) or [today]
    series: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(days))
    for d in fieldwork.daily:
        series[channel(d.channel)][days.index(d.day)] += d.n
    fmt = number_format(locale, 0)

    def show_date(day: dt.date) -> str:
        return format_date(day, locale, format="short")

    kw: dict[str, Any] = {
        "target": float(fieldwork.target_n) or None,
        "target_label": t("Target"),
        "number_format": fmt,
        "date_format": show_date,
    }
    png = await anyio.to_thread.run_sync(
        lambda: plots.response_monitor(days, dict(series), y_label=t("Complete responses"), **kw)
    )
    alt = alt_text.response_monitor_alt(
        days, dict(series), total_label=t("Total"), title=t("Complete responses over time"), **kw
    )
    return png, alt
