"""The generated methods paragraph: what was done, in words a funder can check.

Every number in it comes from the report itself (counts, family sizes, sites), so
the paragraph cannot drift from the results it describes. The engine writes it in
English for the JSON report; the report pages re-word it in the reader's language from
the same report (``Wording``), so each sentence is one catalog entry a translator can
reorder, never a sentence glued from fragments.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from survey.i18n import language_in
from survey.report.aggregate import ConstructSpec
from survey.report.model import Report, WaveRef
from survey.report.reliability import FLAG_BELOW
from survey.report.suppression import CAUTION_BELOW, SUPPRESS_BELOW
from survey.report.wording import ENGLISH, Wording


def _phase(phase: str, w: Wording) -> str:
    t = w.t
    # TRANSLATORS: a wave's phase, in the methods paragraph: “Spring” (post, opened …).
    known = {"pre": t("pre"), "post": t("post"), "follow_up": t("follow-up"), "pulse": t("pulse")}
    return known.get(phase, phase)


def _wave(wave: WaveRef, now: datetime, w: Wording = ENGLISH) -> str:
    # Dates in the future are said as such: a report on a wave still in the field
    # must not claim it has closed.
    t = w.t
    name, phase = wave.name, _phase(wave.phase, w)
    if wave.opens_at is None:
        return t("“%(wave)s” (%(phase)s)", wave=name, phase=phase)
    opened = wave.opens_at <= now
    # Days in the sites' zone (``first_day``/``last_day``): ``closes_at`` is the
    # exclusive midnight after the last open day, so its UTC date reads a day late.
    opens = w.date(wave.first_day or wave.opens_at.date())
    if wave.closes_at is None and wave.closed_at is None:
        if opened:
            return t(
                "“%(wave)s” (%(phase)s, opened %(opens)s)", wave=name, phase=phase, opens=opens
            )
        return t("“%(wave)s” (%(phase)s, opens %(opens)s)", wave=name, phase=phase, opens=opens)
    end = wave.closes_at or wave.closed_at
    assert end is not None
    closed = wave.closed_at is not None or end <= now
    last = wave.last_day or end.date()
    args = {"wave": name, "phase": phase, "opens": opens, "closes": w.date(last)}
    if opened and closed:
        return t("“%(wave)s” (%(phase)s, opened %(opens)s and closed %(closes)s)", **args)
    if opened:
        return t("“%(wave)s” (%(phase)s, opened %(opens)s and open until %(closes)s)", **args)
    if closed:
        return t("“%(wave)s” (%(phase)s, opens %(opens)s and closed %(closes)s)", **args)
    return t("“%(wave)s” (%(phase)s, opens %(opens)s and open until %(closes)s)", **args)


def _sample(report: Report, w: Wording) -> str:
    t, tn = w.t, w.tn
    shown = [s for s in report.sites if not (s.suppressed_pre or s.suppressed_post)]
    program_sites = [s for s in shown if not s.comparison]
    comparison = [s.name for s in shown if s.comparison]
    # "At the sites shown": the sites compared, shown in both waves, as in the figures;
    # a site of one wave only (or suppressed in the other) is left out of both counts.
    counts = {
        "pre": w.count(sum(s.n_pre or 0 for s in shown)),
        "post": w.count(sum(s.n_post or 0 for s in shown)),
    }
    if report.exclude_duplicates:
        responses = t(
            "It analyses complete responses only: %(pre)s before and %(post)s after at the "
            "sites shown, suspected duplicate open-link responses excluded",
            **counts,
        )
    else:
        responses = t(
            "It analyses complete responses only: %(pre)s before and %(post)s after at the "
            "sites shown, suspected duplicate open-link responses included",
            **counts,
        )
    sites = tn(
        "%(sites)s program site has results in both waves",
        "%(sites)s program sites have results in both waves",
        len(program_sites),
        sites=w.count(len(program_sites)),
    )
    if not comparison:
        return t("%(responses)s; %(sites)s.", responses=responses, sites=sites)
    served = tn(
        "and %(names)s served as a comparison site",
        "and %(names)s served as comparison sites",
        len(comparison),
        names=w.names(comparison),
    )
    return t(
        "%(responses)s; %(sites)s, %(comparison)s.",
        responses=responses,
        sites=sites,
        comparison=served,
    )


def _families(report: Report, specs: Sequence[ConstructSpec], w: Wording) -> str:
    t, tn = w.t, w.tn
    primary = w.names([s.label.lower() for s in specs if s.primary]) or t("none designated")
    holm, bh = report.families.holm_tests, report.families.bh_tests
    holm_clause = tn(
        "p-values for the %(count)s program-site × primary-measure test (%(primary)s) "
        "are Holm-adjusted",
        "p-values for the %(count)s program-site × primary-measure tests (%(primary)s) "
        "are Holm-adjusted",
        holm,
        count=w.count(holm),
        primary=primary,
    )
    bh_clause = tn(
        "the %(count)s program-site × item test is Benjamini–Hochberg-adjusted as exploratory",
        "the %(count)s program-site × item tests are Benjamini–Hochberg-adjusted as "
        "exploratory",
        bh,
        count=w.count(bh),
    )
    return t(
        "Across sites, %(holm)s, and %(bh)s; comparison sites are in neither family.",
        holm=holm_clause,
        bh=bh_clause,
    )


def _scoring(specs: Sequence[ConstructSpec], w: Wording) -> list[str]:
    t = w.t
    reversed_items = sorted({item for s in specs for item in s.reverse})
    if reversed_items:
        first = t(
            "Each scale score is the mean of the items a respondent answered, after "
            "reverse-coding %(items)s, and only when more than half of the scale's items "
            "were answered; “don't know” and “prefer not to say” count as unanswered, never "
            "as a scale point.",
            items=w.names(reversed_items),
        )
    else:
        first = t(
            "Each scale score is the mean of the items a respondent answered, and only when "
            "more than half of the scale's items were answered; “don't know” and “prefer not "
            "to say” count as unanswered, never as a scale point."
        )
    return [
        first,
        t(
            "Scores on 0–100 are percent of maximum possible, 100·(mean − min)/(max − min), "
            "not percentages of people."
        ),
    ]


def _panel(report: Report, w: Wording) -> list[str]:
    # Only when some site has panel pairs: the report shows no paired results otherwise.
    if not any(c.paired is not None for s in report.sites for c in s.constructs):
        return []
    return [
        w.t(
            "Panel members who answered both waves at the same site are also compared pair "
            "by pair (paired t-test and Wilcoxon signed-rank test, zero differences "
            "dropped); the headline analysis treats them as independent."
        )
    ]


def methods_paragraph(
    report: Report, specs: Sequence[ConstructSpec], w: Wording = ENGLISH
) -> str:
    """The paragraph in ``w``'s language; ``specs`` give the scales' (translated) labels."""
    t = w.t
    q = report.questionnaire
    parts = [
        t(
            "This report compares the %(pre)s and %(post)s waves of %(program)s, using the "
            "%(questionnaire)s questionnaire (version %(version)s).",
            pre=_wave(report.pre, report.generated_at, w),
            post=_wave(report.post, report.generated_at, w),
            program=report.program_name,
            questionnaire=q.id,
            version=q.version,
        ),
        _sample(report, w),
        *_scoring(specs, w),
        t(
            "Because each wave samples residents anew, changes in scale scores are tested "
            "with Welch's t-test, with a 95% Welch–Satterthwaite confidence interval and "
            "Hedges' g (exact small-sample correction); single items with the Mann–Whitney U "
            "test (tie-corrected normal approximation with continuity correction, and an "
            "exact permutation p-value where the groups are small enough) and the "
            "Brunner–Munzel test, with Cliff's delta as the effect size."
        ),
        *_panel(report, w),
        _families(report, specs, w),
        t(
            "Reliability is Cronbach's alpha with a Feldt 95%% interval, per scale and wave, "
            "for all languages together and for each language separately so that "
            "measurement differences between languages can be seen; alpha below %(flag)s is "
            "flagged.",
            flag=w.number(FLAG_BELOW, 2),
        ),
    ]
    if report.did:
        parts.append(
            t(
                "Difference-in-differences subtracts the comparison sites' change from each "
                "program site's change, with a heteroskedasticity-robust (HC1) standard "
                "error; it assumes the sites would otherwise have moved in parallel, which "
                "two waves cannot test, and with few sites it is a descriptive contrast."
            )
        )
    if report.state:
        parts.append(
            t(
                "The state roll-up pools the program sites' changes with a "
                "DerSimonian–Laird random-effects model and reports I², the share of "
                "variation between sites beyond chance."
            )
        )
    if report.weighted:
        parts.extend(_weighting(report, w))
    parts.append(_suppression(report, w))
    if any(f.response_rates for f in report.fieldwork):
        parts.append(
            t(
                "Response rates (AAPOR) are given for personal invitations only: completes "
                "among the people invited, over the people invited (invitations texted, and "
                "links issued for print or mail). Residents who answered without an "
                "invitation, through an open link or by texting in first, are counted among "
                "the responses but in no response rate."
            )
        )
    unreviewed = sorted({u.language for f in report.fieldwork for u in f.unreviewed})
    if unreviewed:
        parts.append(
            t(
                "Some responses were collected with translations that had not been reviewed "
                "(%(languages)s); results in those languages should be read with that in "
                "mind.",
                # Names in the reader's language, as the fieldwork section has them:
                # "es" is a stored code, not a word.
                languages=w.names([language_in(code, w.locale) for code in unreviewed]),
            )
        )
    return " ".join(parts)


def _weighting(report: Report, w: Wording) -> list[str]:
    t = w.t
    parts = [
        t(
            "Estimates are weighted: each site's respondents were raked (iterative "
            "proportional fitting) to the site's uploaded population margins "
            "(%(variables)s), keeping respondents outside a margin at their sample share. "
            "Weighted means and differences use each group's Kish effective sample size in "
            "the standard error, degrees of freedom and suppression; raking variance beyond "
            "the Kish design effect is not included. Rank tests, panel pairs and "
            "reliability are unweighted.",
            variables=w.names(report.weighting_variables),
        )
    ]
    statuses = sorted({x.status for s in report.sites for x in s.weighting})
    if statuses != ["weighted"]:
        parts.append(t("Not every site could be weighted; see the notes."))
    return parts


def _suppression(report: Report, w: Wording) -> str:
    counts = {
        "n": w.count(SUPPRESS_BELOW),
        "low": w.count(SUPPRESS_BELOW),
        "high": w.count(CAUTION_BELOW - 1),
    }
    if report.weighted:
        return w.t(
            "Any figure resting on fewer than %(n)s respondents (or effective respondents) "
            "is suppressed, with complementary suppression in count tables, and figures "
            "resting on %(low)s–%(high)s are flagged for caution; program-level figures "
            "leave suppressed sites out.",
            **counts,
        )
    return w.t(
        "Any figure resting on fewer than %(n)s respondents is suppressed, with "
        "complementary suppression in count tables, and figures resting on "
        "%(low)s–%(high)s are flagged for caution; program-level figures leave suppressed "
        "sites out.",
        **counts,
    )
