"""The program report (``survey.report.model.Report``) as what a reader sees: labels
in their language, formatted numbers, suppressed cells with their reason, and the
charts with their alt text and data tables. One view feeds the dashboard page, the
HTML download and the PDF, so the three always agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from survey.i18n import format_number, format_percent, language_in
from survey.questionnaire import LikertItem, Questionnaire
from survey.render import charts, result_tables
from survey.render.labels import CHANNEL_LABELS, HIDDEN_LABELS, hidden_status, label
from survey.render.questionnaire_text import QuestionnaireText
from survey.render.result_tables import score_span as _span
from survey.report import rollup
from survey.report.aggregate import construct_specs
from survey.report.methods import methods_paragraph
from survey.report.model import ConstructResult, Report, SiteReport, WaveStat
from survey.report.notes import reader_notes
from survey.report.wording import Wording, english_plural

NBSP = "\u00a0"


def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


class View:
    """Formatting helpers bound to one reader."""

    def __init__(
        self, report: Report, q: Questionnaire, t: Callable[..., str], locale: str, catalogs: Any
    ) -> None:
        self.report = report
        self.t = t
        self.locale = locale
        self.num = charts.number_format(locale)
        self.num2 = charts.number_format(locale, 2)
        self.no_target = t("no target")
        # The wording residents saw, drafts included; ``mark`` flags English left over.
        self.text = QuestionnaireText(catalogs, q, locale)
        self.q, self.mark = self.text.q, self.text.mark
        self.constructs = {c.id: c.label for c in self.q.constructs}
        self.items = {i.id: i for i in self.q.items}
        below = report.thresholds.suppress_below
        self.suppressed = t("suppressed")
        self.reason = t("fewer than %(n)d respondents, hidden to protect privacy", n=below)
        # A site outside a wave is no small cell: it was never asked there; nor is a
        # site-wave withheld for the suspected duplicates a report leaves out.
        self.words = {k: (t(word), t(why)) for k, (word, why) in HIDDEN_LABELS.items()}

    def count(self, value: float | None) -> str:
        """A count of people (n, a target, completes): a whole number, never ``180.0``,
        which would read as a weighted estimate."""
        if not _ok(value):
            return "–"
        assert value is not None
        return format_number(round(value), self.locale, 0)

    def label(self, result: ConstructResult) -> str:
        return self.constructs.get(result.construct_id, result.label)

    def hidden(self, status: str = "suppressed") -> dict[str, Any]:
        """A hidden figure, worded for why (a ``SiteStatus``; any other is the rule)."""
        text, reason = self.words.get(status, (self.suppressed, self.reason))
        return {"text": text, "suppressed": True, "reason": reason}

    def cell(
        self,
        stat: WaveStat,
        field: str = "score",
        show: Callable[[float], str] | None = None,
        status: str = "reported",
    ) -> dict[str, Any]:
        if stat.suppressed or status == "not_in_wave":
            return self.hidden(status)
        value = getattr(stat, field)
        show = show or (self.count if field == "n" else self.num)
        text = show(value) if _ok(value) else "–"
        return {"text": text, "suppressed": False, "caution": stat.caution}

    def percent(self, value: float, digits: int = 1) -> str:
        if not _ok(value):
            return "–"
        return format_percent(value / 100, self.locale, digits)

    def p(self, value: float | None) -> str:
        if not _ok(value):
            return "–"
        assert value is not None
        return (
            # The bound in the reader's digits ("0,001"), never split from its "<".
            "<" + NBSP + format_number(0.001, self.locale, 3)
            if value < 0.001
            else self.num2(value)
            if value >= 0.01
            else charts.number_format(self.locale, 3)(value)
        )


def _why(site: SiteReport) -> str:
    """Why a figure resting on both of the site's waves is hidden."""
    return hidden_status(site.status_pre, site.status_post)


def _construct_rows(view: View, site: SiteReport) -> list[dict[str, Any]]:
    rows = []
    pre, post = site.status_pre, site.status_post
    for c in site.constructs:
        ch = c.change
        rows.append(
            {
                "label": view.mark(view.label(c)),
                "primary": c.primary,
                "n_pre": view.cell(c.pre, "n", status=pre),
                "n_post": view.cell(c.post, "n", status=post),
                "pre": view.cell(c.pre, status=pre),
                "post": view.cell(c.post, status=post),
                "diff": view.num(ch.diff_score) if ch else "–",
                "ci": f"{view.num(ch.ci_low_score)} – {view.num(ch.ci_high_score)}" if ch else "",
                "p": view.p(ch.p) if ch else "–",
                "p_holm": view.p(ch.p_holm) if ch and ch.p_holm is not None else "",
                "g": view.num2(ch.hedges_g) if ch else "–",
                "caution": bool(ch and ch.caution),
                "did": view.num(c.did.estimate_score) if c.did else "",
            }
        )
    return rows


def _shown(text: str) -> dict[str, Any]:
    return {"text": text, "suppressed": False}


def _item_rows(view: View, site: SiteReport) -> list[dict[str, Any]]:
    """Each Likert item's change at the site, as the JSON report has it: means on the
    item's own scale, the mean shift with its CI, Cliff's delta, Mann–Whitney p and its
    Benjamini–Hochberg adjustment. A suppressed wave hides the change too."""
    rows = []
    pre, post = site.status_pre, site.status_post
    for item in site.items:
        spec = view.items.get(item.item_id)
        ch = item.change
        hidden = item.pre.suppressed or item.post.suppressed
        blank = view.hidden(_why(site)) if hidden else _shown("–")
        rows.append(
            {
                "label": view.mark(spec.prompt) if spec is not None else item.item_id,
                "caution": bool(ch and ch.caution),
                "cells": [
                    view.cell(item.pre, "n", status=pre),
                    view.cell(item.post, "n", status=post),
                    view.cell(item.pre, "mean", view.num2, status=pre),
                    view.cell(item.post, "mean", view.num2, status=post),
                    *(
                        [
                            _shown(view.num2(ch.diff)),
                            _shown(f"{view.num2(ch.ci_low)} – {view.num2(ch.ci_high)}"),
                            _shown(view.num2(ch.cliffs_delta)),
                            _shown(view.p(ch.p_mw)),
                            # Comparison sites are outside the BH family.
                            _shown(view.p(ch.p_bh)),
                        ]
                        if ch is not None
                        else [blank] * 5
                    ),
                ],
            }
        )
    return rows


async def _site_charts(view: View, site: SiteReport, waves: tuple[str, str]) -> list[Any]:
    t = view.t
    out = []
    primary = [
        c for c in site.constructs if c.primary and not c.pre.suppressed and not c.post.suppressed
    ]
    if primary:
        means, low, high = [], [], []
        for c in primary:
            span = (c.scale_max - c.scale_min) or 1.0
            row_m, row_l, row_h = [], [], []
            for stat in (c.pre, c.post):
                score = stat.score if _ok(stat.score) else math.nan
                half = (
                    1.96 * 100 * (stat.sd or 0) / span / math.sqrt(stat.n)
                    if stat.n and _ok(stat.sd)
                    else math.nan
                )
                row_m.append(score or math.nan)
                row_l.append((score or math.nan) - half)
                row_h.append((score or math.nan) + half)
            means.append(row_m)
            low.append(row_l)
            high.append(row_h)
        out.append(
            await charts.trend(
                t("%(site)s: primary measures before and after", site=site.name),
                list(waves),
                [view.label(c) for c in primary],
                means,
                low,
                high,
                t=t,
                locale=view.locale,
            )
        )
    # Likert items of the primary measures, one chart per scale: the same values with
    # other words (1–4 "Very unsafe…" and 1–4 "Very unlikely…") are different scales,
    # and each chart's legend must be the scale of every bar in it.
    groups: dict[tuple[tuple[str, str], ...], list[Any]] = {}
    owners = {c.construct_id for c in primary}
    for item in site.items:
        spec = view.items.get(item.item_id)
        if (
            item.construct_id in owners
            and isinstance(spec, LikertItem)
            and item.pre_shares
            and item.post_shares
        ):
            key = tuple((str(p.value), p.label) for p in spec.points)
            groups.setdefault(key, []).append((item, spec))
    for key, members in groups.items():
        out.append(
            await charts.likert(
                t("%(site)s: answers before and after", site=site.name),
                [spec.prompt for _, spec in members],
                [[it.pre_shares.get(k, 0.0) for k, _ in key] for it, _ in members],
                [[it.post_shares.get(k, 0.0) for k, _ in key] for it, _ in members],
                [label for _, label in key],
                waves,
                t=t,
                locale=view.locale,
            )
        )
    return [view.text.chart(chart) for chart in out]


async def build_view(
    report: Report,
    q: Questionnaire,
    *,
    t: Callable[..., str],
    locale: str,
    catalogs: Any,
    site_ids: list[int] | None = None,
    tn: Callable[..., str] = english_plural,
) -> dict[str, Any]:
    """Everything the report template needs. ``site_ids`` limits per-site detail;
    ``tn`` is the reader's plural ``t``."""
    view = View(report, q, t, locale, catalogs)
    # The methods and notes the report carries are English (the JSON's language): the
    # reader gets them re-worded from the same report, the scales under their own labels.
    words = Wording(t=t, tn=tn, locale=locale)
    waves = (report.pre.name, report.post.name)
    forests = []
    by_id = {s.site_id: s for s in report.sites}
    for construct_id, name, pooled in rollup.forest_measures(report):
        labels, est, low, high, why = [], [], [], [], []
        for site in report.sites:
            c = next((c for c in site.constructs if c.construct_id == construct_id), None)
            if c is None or site.comparison:
                continue
            labels.append(site.name)
            why.append(_why(site))
            ok = c.change is not None
            est.append(c.change.diff_score if ok and c.change else math.nan)
            low.append(c.change.ci_low_score if ok and c.change else math.nan)
            high.append(c.change.ci_high_score if ok and c.change else math.nan)
        span = _span(report, construct_id)
        pooled_ci = (
            (pooled.estimate_score, pooled.ci_low * span, pooled.ci_high * span) if pooled else None
        )
        forests.append(
            await charts.forest(
                t("Change by site: %(measure)s", measure=view.constructs.get(construct_id, name)),
                labels,
                est,
                low,
                high,
                pooled_ci,
                t=t,
                locale=locale,
                statuses=why,
            )
        )
    state = [
        {
            "label": view.mark(view.constructs.get(p.construct_id, p.label)),
            "primary": p.primary,
            "estimate": view.num(p.estimate_score),
            "sites": len(p.site_ids),
            "ci": f"{view.num(p.ci_low * _span(report, p.construct_id))} – "
            f"{view.num(p.ci_high * _span(report, p.construct_id))}",
            "i2": view.percent(100 * p.i2, 0) if _ok(p.i2) else "–",
            "p": view.p(p.p),
        }
        for p in report.state
    ]
    chosen = site_ids if site_ids is not None else [s.site_id for s in report.sites]
    sites = []
    for sid in chosen:
        found = by_id.get(sid)
        if found is None:
            continue
        site = found
        hidden = site.suppressed_pre or site.suppressed_post
        # Each hidden wave's reason, once: withheld before, too few after, say.
        waves_out = (s for s in (site.status_pre, site.status_post) if s != "reported")
        reasons = dict.fromkeys(view.hidden(s)["reason"] for s in waves_out)
        sites.append(
            {
                "id": site.site_id,
                "name": site.name,
                "comparison": site.comparison,
                "n_pre": _site_count(view, site.n_pre, site.status_pre),
                "n_post": _site_count(view, site.n_post, site.status_post),
                "suppressed": hidden,
                "label": view.hidden(_why(site))["text"],
                "reason": "; ".join(reasons) if hidden else "",
                "constructs": _construct_rows(view, site),
                "item_rows": _item_rows(view, site),
                "paired_rows": result_tables.paired_rows(view, site),
                "charts": [] if hidden else await _site_charts(view, site, waves),
            }
        )
    return {
        "r": report,
        "v": view,
        "methods": methods_paragraph(report, construct_specs(view.q), words),
        "notes": reader_notes(report, words),
        "draft_note": view.text.draft_note(t, report),
        "waves": waves,
        "forests": forests,
        "state": state,
        "sites": sites,
        # The roll-up, forests and reliability are of multi-item scales; an item-only
        # questionnaire (pulse) says so instead of showing empty tables.
        "has_scales": any(s.constructs for s in report.sites),
        "has_items": any(s["item_rows"] for s in sites),
        "site_options": [(s.site_id, s.name) for s in report.sites],
        "fieldwork": [_fieldwork(view, fw) for fw in report.fieldwork],
        "reliability": result_tables.reliability_table(view, report, waves),
        "did": result_tables.did_rows(view, report),
        "has_pairs": result_tables.has_pairs(report),
    }


def _site_count(view: View, n: int | None, status: str) -> str:
    if status == "not_in_wave" or n is None:
        return str(view.hidden(status)["text"])
    return view.count(n)


def _count(view: View, count: Any) -> dict[str, Any]:
    if count.suppressed:
        return {"text": view.suppressed, "suppressed": True, "reason": view.reason}
    return {"text": view.count(count.value), "suppressed": False}


def _fieldwork(view: View, fw: Any) -> dict[str, Any]:
    return {
        "wave": fw.wave.name,
        "complete": _count(view, fw.complete),
        "partial": _count(view, fw.partial),
        "rate": view.percent(100 * fw.completion_rate)
        if fw.completion_rate is not None
        else "–",
        # Words, not the stored codes ("sms", "zh_Hans"), in the reader's language.
        "channels": {
            label(CHANNEL_LABELS, k, view.t): _count(view, c) for k, c in fw.by_channel.items()
        },
        "languages": {
            language_in(k, view.locale): _count(view, c) for k, c in fw.by_language.items()
        },
        "sites": [
            {
                "name": s.name,
                # 0 is how a blank target (the site has none) is stored.
                "target": view.count(s.target_n) if s.target_n else "",
                "complete": _count(view, s.complete),
                "partial": _count(view, s.partial),
            }
            for s in fw.sites
        ],
        "unreviewed": [language_in(u.language, view.locale) for u in fw.unreviewed],
        "rates": result_tables.response_rates(view, fw),
        "note": view.t(fw.totals_note),
    }
