"""Fieldwork: responses by site, channel and language, response rates, and
translations used before anyone reviewed them.

Counts follow the suppression rule like every other cell. A site with fewer than 10
complete responses in a wave is shown as suppressed and left out of that wave's
totals; the channel and language tables of the other sites get complementary
suppression, so a hidden count cannot be had by subtraction. Response rates follow
AAPOR: they exist only for personal invitations, as completes among the people
invited over the people invited (invitations texted, and links issued for print or
mail). Someone who answered without an invitation (an open link, or a text to us
before we texted them) is counted among the responses but in no rate; open links get
a completion rate among starters instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from survey.i18n.marks import staff as t
from survey.report.model import (
    Count,
    FieldworkSite,
    InvitationRate,
    ResponseRate,
    UnreviewedUse,
    WaveFieldwork,
    WaveRef,
)
from survey.report.suppression import (
    SUPPRESS_BELOW,
    is_suppressed,
    suppress_column,
    suppress_table,
)

HIDDEN = Count(value=None, suppressed=True)


TOTALS_NOTE = t(
    "Totals cover the sites shown: sites with fewer than 10 complete responses in this "
    "wave are left out of them, and counts under 10 are hidden with enough others that "
    "none can be worked out from the totals."
)


def _shown(value: int) -> Count:
    return Count(value=value, suppressed=False)


def _table(
    site_ids: Sequence[int], columns: Sequence[str], counts: Mapping[tuple[int, str], int]
) -> tuple[dict[int, dict[str, Count]], dict[str, Count]]:
    """A sites × columns count table with complementary suppression, and its totals."""
    grid = [[counts.get((s, c), 0) for c in columns] for s in site_ids]
    if not grid or not columns:
        return {s: {} for s in site_ids}, {}
    plan = suppress_table(grid)
    rows = {
        s: {c: HIDDEN if plan.cells[i][j] else _shown(grid[i][j]) for j, c in enumerate(columns)}
        for i, s in enumerate(site_ids)
    }
    totals = {
        c: HIDDEN if plan.column_totals[j] else _shown(sum(row[j] for row in grid))
        for j, c in enumerate(columns)
    }
    return rows, totals


def wave_fieldwork(
    wave: WaveRef,
    sites: Sequence[tuple[int, str]],
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    allow_unreviewed: bool,
    unreviewed_languages: Sequence[str] = (),
) -> WaveFieldwork:
    """The fieldwork section of one wave. ``sites`` is (id, name) in report order."""
    responses = [r for r in rows.get("responses", []) if r["wave_id"] == wave.id]
    targets = {
        r["site_id"]: r["target_n"] for r in rows.get("targets", []) if r["wave_id"] == wave.id
    }
    in_wave = [
        (s, name) for s, name in sites if s in targets or any(r["site_id"] == s for r in responses)
    ]
    complete: defaultdict[int, int] = defaultdict(int)
    partial: defaultdict[int, int] = defaultdict(int)
    by_channel: defaultdict[tuple[int, str], int] = defaultdict(int)
    by_language: defaultdict[tuple[int, str], int] = defaultdict(int)
    duplicates: defaultdict[int, int] = defaultdict(int)
    for r in responses:
        if r["status"] == "complete":
            complete[r["site_id"]] += r["n"]
            by_channel[(r["site_id"], r["channel"])] += r["n"]
            by_language[(r["site_id"], r["language"])] += r["n"]
            if r["duplicate_suspect"]:
                duplicates[r["site_id"]] += r["n"]
        else:
            partial[r["site_id"]] += r["n"]
    # A site nobody answered is shown with its zeros: that discloses no one.
    shown = [s for s, _ in in_wave if complete[s] == 0 or not is_suppressed(complete[s])]
    channels = sorted({c for (s, c) in by_channel if s in shown})
    languages = sorted({lang for (s, lang) in by_language if s in shown})
    channel_rows, channel_totals = _table(shown, channels, by_channel)
    language_rows, language_totals = _table(shown, languages, by_language)
    partial_hidden, partial_total_hidden = suppress_column([partial[s] for s in shown])
    partial_of = dict(zip(shown, partial_hidden, strict=True))
    invitations, rates = _invitations(wave.id, rows.get("invitations", []), shown)
    out_sites = []
    for s, name in in_wave:
        visible = s in shown
        out_sites.append(
            FieldworkSite(
                site_id=s,
                name=name,
                target_n=int(targets.get(s, 0)),
                complete=_shown(complete[s]) if visible else HIDDEN,
                partial=HIDDEN if not visible or partial_of[s] else _shown(partial[s]),
                by_channel=channel_rows.get(s, {}) if visible else {c: HIDDEN for c in channels},
                by_language=(
                    language_rows.get(s, {}) if visible else {lang: HIDDEN for lang in languages}
                ),
                invitations=invitations.get(s, []),
            )
        )
    total_complete = sum(complete[s] for s in shown)
    total_partial = sum(partial[s] for s in shown)
    started = total_complete + total_partial
    return WaveFieldwork(
        wave=wave,
        sites=out_sites,
        complete=_shown(total_complete),
        partial=HIDDEN if partial_total_hidden else _shown(total_partial),
        by_channel=channel_totals,
        by_language=language_totals,
        completion_rate=(
            total_complete / started if started and not partial_total_hidden else None
        ),
        response_rates=rates,
        duplicate_suspects=_small_hidden(sum(duplicates[s] for s in shown)),
        allow_unreviewed=allow_unreviewed,
        unreviewed=_unreviewed(
            wave.id, rows.get("overrides", []), unreviewed_languages, language_totals
        ),
        totals_note=TOTALS_NOTE,
    )


def _small_hidden(value: int) -> Count:
    # Like every other count: over the sites shown, and hidden from 1 to 9.
    return HIDDEN if 0 < value < SUPPRESS_BELOW else _shown(value)


def _rate(completed: int, invited: int) -> float | None:
    # ``completed`` counts only completes among the ``invited`` (report-fieldwork-
    # invitations): never over 1, whoever else answered.
    return completed / invited if invited else None


def _invitations(
    wave_id: int, invitations: Sequence[Mapping[str, Any]], shown: Sequence[int]
) -> tuple[dict[int, list[InvitationRate]], list[ResponseRate]]:
    """Issued, sent, invited and completed personal invitations with response rates:
    per site and channel, and for the wave by channel and by language.

    The wave's figures are totals of the site cells (reported sites only), so each
    channel's column of site cells gets complementary suppression against its total,
    and so does the language breakdown of the same total.
    """
    # issued, sent, invited (the rate's base), completed (among the invited)
    cells: defaultdict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_language: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    fields = ("issued", "sent", "invited", "completed")
    for row in invitations:
        if row["wave_id"] != wave_id:
            continue
        counts = [int(row[f]) for f in fields]
        target = cells[(row["site_id"], row["channel"])]
        for k in range(4):
            target[k] += counts[k]
        if row["site_id"] in shown:
            for k in range(4):
                by_language[row["language"]][k] += counts[k]
    channels = sorted({c for _, c in cells})
    per_site: defaultdict[int, list[InvitationRate]] = defaultdict(list)
    rates = []
    for channel in channels:
        sites = [s for s in shown if (s, channel) in cells]
        hidden, total_hidden = suppress_column([cells[(s, channel)][3] for s in sites])
        for site, hide in zip(sites, hidden, strict=True):
            issued, sent, invited, done = cells[(site, channel)]
            per_site[site].append(
                InvitationRate(
                    channel=channel,
                    issued=issued,
                    sent=sent,
                    invited=invited,
                    completed=HIDDEN if hide else _shown(done),
                    response_rate=None if hide else _rate(done, invited),
                )
            )
        issued, sent, invited, done = (
            sum(cells[(s, channel)][k] for s in sites) for k in range(4)
        )
        rates.append(
            ResponseRate(
                dimension="channel",
                value=channel,
                issued=issued,
                sent=sent,
                invited=invited,
                completed=HIDDEN if total_hidden else _shown(done),
                response_rate=None if total_hidden else _rate(done, invited),
            )
        )
    for (site, channel), (issued, sent, invited, _) in sorted(cells.items()):
        if site not in shown:  # a suppressed site: how many were invited is not about anyone
            per_site[site].append(
                InvitationRate(
                    channel=channel,
                    issued=issued,
                    sent=sent,
                    invited=invited,
                    completed=HIDDEN,
                    response_rate=None,
                )
            )
    languages = sorted(by_language)
    hidden, _ = suppress_column([by_language[lang][3] for lang in languages])
    for language, hide in zip(languages, hidden, strict=True):
        issued, sent, invited, done = by_language[language]
        rates.append(
            ResponseRate(
                dimension="language",
                value=language,
                issued=issued,
                sent=sent,
                invited=invited,
                completed=HIDDEN if hide else _shown(done),
                response_rate=None if hide else _rate(done, invited),
            )
        )
    return dict(per_site), rates


def _unreviewed(
    wave_id: int,
    overrides: Sequence[Mapping[str, Any]],
    allowed: Sequence[str],
    language_totals: Mapping[str, Count],
) -> list[UnreviewedUse]:
    """Languages launched or run with unreviewed translations, and how many answered in them."""
    out: dict[str, UnreviewedUse] = {}
    for row in overrides:
        if row["wave_id"] != wave_id:
            continue
        detail = row["detail"] or {}
        for language in detail.get("languages", []):
            out[language] = UnreviewedUse(
                language=language,
                reason=str(detail.get("reason", "")),
                at=row["at"],
                complete=language_totals.get(language, _shown(0)),
            )
    for language in allowed:
        out.setdefault(
            language,
            UnreviewedUse(
                language=language,
                reason="the wave allows unreviewed translations",
                at=None,
                complete=language_totals.get(language, _shown(0)),
            ),
        )
    return sorted(out.values(), key=lambda u: u.language)
