"""The report's notes: caveats a reader must see beside the results.

Like the methods paragraph, each note is worded by a ``Wording``: English in the JSON
report, the reader's language on the report pages. Notes the engine derives from the
report are re-worded from it; notes the service adds before computing (questionnaire
versions, fieldwork still open) are whole catalog sentences, so the pages look them up
by their English text.
"""

from __future__ import annotations

import re

from survey.report.model import Report, SiteReport
from survey.report.rollup import MIN_POOLED, pooled_sites
from survey.report.suppression import SUPPRESS_BELOW
from survey.report.weighting import SET_ASIDE
from survey.report.wording import ENGLISH, Wording


def versions_note(w: Wording = ENGLISH) -> str:
    return w.t(
        "The two waves used different questionnaire versions; items and scales are matched "
        "by their ids and scored with the post wave's definitions."
    )


def open_note(w: Wording = ENGLISH) -> str:
    return w.t(
        "Fieldwork of a wave compared is still open: its results will change as more "
        "responses come in."
    )


_NOBODY = re.compile(r"not weighted: nobody answered (?P<variable>.+)")
_EMPTY = re.compile(
    r"not weighted: margin '(?P<variable>.+?)' has categories with no sample rows: "
    r"(?P<categories>.+?); collapse"
)
_DIVERGED = re.compile(r"not weighted: raking did not converge")


def weighting_status(status: str, w: Wording = ENGLISH) -> str:
    """A site-wave's weighting status (``SiteWeighting.status``) in the reader's words."""
    # The JSON report keeps the statuses as the weighting wrote them (English, stable
    # for scripts); the pages word the known failures in the reader's language. The
    # variables and categories are the margins' export codes, the same in every language.
    if status == "no margins":
        return w.t("no margins")
    if m := _NOBODY.fullmatch(status):
        return w.t("not weighted: nobody answered %(variable)s", variable=m["variable"])
    if m := _EMPTY.match(status):
        categories = [c.strip().strip("'") for c in m["categories"].split(",")]
        return w.t(
            "not weighted: nobody in %(categories)s of %(variable)s; merge them with a "
            "neighbouring category in the margins",
            categories=w.names(categories),
            variable=m["variable"],
        )
    if _DIVERGED.match(status):
        return w.t("not weighted: the weights did not meet the margins")
    return status


def program_notes(report: Report, w: Wording = ENGLISH) -> list[str]:
    """The notes the engine derives from a computed report."""
    t = w.t
    notes = []
    comparison = [
        s for s in report.sites if s.comparison and not (s.suppressed_pre or s.suppressed_post)
    ]
    treated = [s for s in report.sites if not s.comparison]
    hidden = [s.name for s in report.sites if "suppressed" in (s.status_pre, s.status_post)]
    absent = [s.name for s in report.sites if "not_in_wave" in (s.status_pre, s.status_post)]
    withheld = [
        s.name for s in report.sites if "duplicates_withheld" in (s.status_pre, s.status_post)
    ]
    if hidden:
        notes.append(
            t(
                "Fewer than %(n)s complete responses in a wave, so suppressed there and left "
                "out of every program figure: %(sites)s.",
                n=w.count(SUPPRESS_BELOW),
                sites=w.series(hidden),
            )
        )
    if withheld:
        notes.append(
            t(
                "Fewer than %(n)s suspected duplicate responses left out in a wave, so "
                "suppressed there and left out of every program figure: %(sites)s. "
                "Compared with the report that keeps them, the results would give those "
                "few responses' answers.",
                n=w.count(SUPPRESS_BELOW),
                sites=w.series(withheld),
            )
        )
    if absent:
        notes.append(
            t(
                "Not one of the sites of a wave compared, so left out of every program "
                "figure: %(sites)s.",
                sites=w.series(absent),
            )
        )
    if report.did and len(treated) + len(comparison) < 10:
        notes.append(
            t(
                "Difference-in-differences rests on few sites; read it as a descriptive "
                "contrast, not a causal estimate (respondent-level standard errors ignore "
                "site-by-wave shocks)."
            )
        )
    if not comparison:
        notes.append(
            t("No comparison site has results in both waves: no difference-in-differences.")
        )
    if _pooled_at_one_site(report):
        notes.append(
            t(
                "The state roll-up needs at least two sites with results: a measure with "
                "results at one site only has no roll-up; read that site's own change."
            )
        )
    failed: list[tuple[str, int, str]] = []
    one_wave: list[str] = []
    for s in report.sites:
        if note := _one_wave_unweighted(report, s, w):
            one_wave.append(note)
            continue
        failed += _unweighted(report, s, w)
    if failed:
        parts = list(dict.fromkeys(text for *_, text in sorted(failed)))
        notes.append(t("Weighting was not applied at: %(sites)s.", sites=w.series(parts, "; ")))
    return notes + one_wave


def _unweighted(report: Report, site: SiteReport, w: Wording) -> list[tuple[str, int, str]]:
    """(site, wave order, part of the note) for each wave of the site that was not
    weighted: the site once when every wave failed alike, else each wave named."""
    failed = [
        x for x in site.weighting if x.status.startswith("not weighted") or x.status == "no margins"
    ]
    if len({x.status for x in failed}) == 1 and len(failed) == len(site.weighting):
        status = weighting_status(failed[0].status, w)
        return [(site.name, 0, w.t("%(site)s (%(status)s)", site=site.name, status=status))]
    out = []
    for x in failed:
        status = weighting_status(x.status, w)
        if x.wave_id == report.pre.id:
            text = w.t(
                "%(site)s, pre wave %(wave)s (%(status)s)",
                site=site.name,
                wave=report.pre.name,
                status=status,
            )
        elif x.wave_id == report.post.id:
            text = w.t(
                "%(site)s, post wave %(wave)s (%(status)s)",
                site=site.name,
                wave=report.post.name,
                status=status,
            )
        else:
            text = w.t("%(site)s (%(status)s)", site=site.name, status=status)
        out.append((site.name, 1 if x.wave_id == report.post.id else 0, text))
    return out


def _pooled_at_one_site(report: Report) -> bool:
    """Whether a measure has results at some program site but too few to pool."""
    measures = {c.construct_id for s in report.sites if not s.comparison for c in s.constructs}
    return any(0 < len(pooled_sites(m, report.sites)) < MIN_POOLED for m in measures)


def _one_wave_unweighted(report: Report, site: SiteReport, w: Wording) -> str | None:
    """The note for a site whose raking failed in one wave only, or None.

    Its other wave's weights were set aside (``weighting.pair_waves``), so the note
    names the wave that failed and why, and says the comparison is unweighted in both.
    """
    status = {x.wave_id: x.status for x in site.weighting}
    pre, post = status.get(report.pre.id), status.get(report.post.id)
    if pre == SET_ASIDE.format(other="post") and post is not None:
        return w.t(
            "%(site)s: the post wave, %(wave)s, could not be weighted (%(status)s), so this "
            "site's comparison is unweighted in both waves.",
            site=site.name,
            wave=report.post.name,
            status=weighting_status(post, w),
        )
    if post == SET_ASIDE.format(other="pre") and pre is not None:
        return w.t(
            "%(site)s: the pre wave, %(wave)s, could not be weighted (%(status)s), so this "
            "site's comparison is unweighted in both waves.",
            site=site.name,
            wave=report.pre.name,
            status=weighting_status(pre, w),
        )
    return None


def reader_notes(report: Report, w: Wording) -> list[tuple[str, str | None]]:
    """Each of ``report.notes`` in the reader's language, with the ``lang`` to mark a
    note that has no translation (None when it is in the reader's language)."""
    derived = dict(zip(program_notes(report), program_notes(report, w), strict=True))
    out: list[tuple[str, str | None]] = []
    for note in report.notes:
        if note in derived:
            out.append((derived[note], None))
            continue
        text = w.t(note)
        out.append((text, None if w.english or text != note else "en"))
    return out
