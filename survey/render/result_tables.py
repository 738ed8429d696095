"""The report's secondary results as tables a reader can check against the JSON:
difference-in-differences, panel pairs, reliability per language and response rates.

The methods paragraph describes each of these analyses, so the human-readable report
shows their figures too. Cells follow ``report_view``'s rules: numbers in the reader's
locale, a suppressed figure as the word with its reason, never a number.
"""

from __future__ import annotations

from typing import Any

from survey.i18n import language_in
from survey.render.labels import CHANNEL_LABELS, hidden_status, label
from survey.report.model import PairedChange, Reliability, Report, SiteReport, WaveFieldwork


def _text(text: str) -> dict[str, Any]:
    return {"text": text, "suppressed": False}


def score_span(report: Report, construct_id: str) -> float:
    """Raw scale units → 0–100 points for a construct."""
    for site in report.sites:
        for c in site.constructs:
            if c.construct_id == construct_id:
                return 100.0 / ((c.scale_max - c.scale_min) or 1.0)
    return 100.0


def did_rows(view: Any, report: Report) -> list[dict[str, Any]]:
    """All program sites together against the comparison sites, then each program site,
    per measure. A site left out of a measure's contrast (suppressed, or outside a wave)
    says why, like the site tables."""
    if not report.did:
        return []
    t = view.t
    rows = []
    for d in report.did:
        span = score_span(report, d.construct_id)
        measure = view.mark(view.constructs.get(d.construct_id, d.label))
        rows.append(
            {
                "site": t("All program sites (%(n)s)", n=view.count(len(d.treated_site_ids))),
                "measure": measure,
                "cells": [
                    _text(view.num(d.estimate_score)),
                    _text(f"{view.num(d.ci_low * span)} – {view.num(d.ci_high * span)}"),
                    _text(view.p(d.p)),
                ],
            }
        )
        for site in report.sites:
            if site.comparison:
                continue
            c = next((c for c in site.constructs if c.construct_id == d.construct_id), None)
            if c is None:
                continue
            if c.did is None:
                why = hidden_status(site.status_pre, site.status_post)
                hidden = site.suppressed_pre or site.suppressed_post
                cells = [view.hidden(why) if hidden else _text("–")] * 3
            else:
                cells = [
                    _text(view.num(c.did.estimate_score)),
                    _text(
                        f"{view.num(c.did.ci_low * span)} – {view.num(c.did.ci_high * span)}"
                    ),
                    _text(view.p(c.did.p)),
                ]
            rows.append({"site": site.name, "measure": measure, "cells": cells})
    return rows


def _paired_cells(view: Any, paired: PairedChange, why: str) -> list[dict[str, Any]]:
    if paired.suppressed:
        return [view.hidden(why)] * 6
    return [
        _text(view.count(paired.n_pairs)),
        _text(view.num2(paired.mean_diff) if paired.mean_diff is not None else "–"),
        _text(view.p(paired.p_t)),
        _text(view.num2(paired.dz) if paired.dz is not None else "–"),
        _text(view.p(paired.p_wilcoxon)),
        _text(view.num2(paired.rank_biserial) if paired.rank_biserial is not None else "–"),
    ]


def paired_rows(view: Any, site: SiteReport) -> list[dict[str, Any]]:
    """The site's panel members who answered both waves, per measure that has any."""
    return [
        {
            "label": view.label(c),
            "caution": bool(c.paired.caution),
            "cells": _paired_cells(
                view, c.paired, hidden_status(site.status_pre, site.status_post)
            ),
        }
        for c in site.constructs
        if c.paired is not None
    ]


def has_pairs(report: Report) -> bool:
    return any(c.paired is not None for s in report.sites for c in s.constructs)


def reliability_table(view: Any, report: Report, waves: tuple[str, str]) -> dict[str, Any]:
    """Alpha per measure and wave (rows) for all languages and each language (columns):
    one row per measure and wave keeps the per-language flags side by side."""
    languages = sorted({r.language for r in report.reliability if r.language is not None})
    by_key: dict[tuple[str, int, str | None], Reliability] = {
        (r.construct_id, r.wave_id, r.language): r for r in report.reliability
    }
    flag = view.t("alpha below %(flag)s", flag=view.num2(report.thresholds.alpha_flag_below))
    rows = []
    keys = list(dict.fromkeys((r.construct_id, r.wave_id) for r in report.reliability))
    for construct_id, wave_id in keys:
        cells = []
        for lang in (None, *languages):
            r = by_key.get((construct_id, wave_id, lang))
            if r is None:
                cells.append(_text("–"))
            elif r.suppressed or r.alpha is None:
                cells.append(view.hidden())
            else:
                cells.append(
                    {
                        "text": view.num2(r.alpha),
                        "suppressed": False,
                        "flag": flag if r.below_flag else "",
                        "n": view.count(r.n),
                    }
                )
        rows.append(
            {
                "label": view.mark(view.constructs.get(construct_id, construct_id)),
                "wave": waves[0] if wave_id == report.pre.id else waves[1],
                "cells": cells,
            }
        )
    return {
        "languages": [language_in(code, view.locale) for code in languages],
        "rows": rows,
        "flagged": sum(r.below_flag for r in report.reliability),
        "flag": flag,
    }


def _rate(view: Any, completed: Any, invited: int, rate: float | None) -> list[dict[str, Any]]:
    if completed.suppressed:
        return [_text(view.count(invited)), view.hidden(), view.hidden()]
    return [
        _text(view.count(invited)),
        _text(view.count(completed.value)),
        _text(view.percent(100 * rate) if rate is not None else "–"),
    ]


def response_rates(view: Any, fw: WaveFieldwork) -> list[dict[str, Any]]:
    """Personal invitations per site and channel, then the wave's totals by channel and
    by the language the invitation was sent in."""
    t = view.t
    rows = []
    for site in fw.sites:
        for inv in site.invitations:
            rows.append(
                {
                    "site": site.name,
                    "by": label(CHANNEL_LABELS, inv.channel, t),
                    "cells": _rate(view, inv.completed, inv.invited, inv.response_rate),
                }
            )
    for r in fw.response_rates:
        if r.dimension == "channel":
            by = label(CHANNEL_LABELS, r.value, t)
        elif r.value == "unknown":  # the invitation has no contact with a language
            by = t("language not known")
        else:
            by = language_in(r.value, view.locale)
        rows.append(
            {
                "site": t("All sites"),
                "by": by,
                "cells": _rate(view, r.completed, r.invited, r.response_rate),
            }
        )
    return rows
