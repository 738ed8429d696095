"""The generated methods paragraph: what was done, in words a funder can check.

Every number in it comes from the report itself (counts, family sizes, sites), so
the paragraph cannot drift from the results it describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from survey.report.aggregate import ConstructSpec
from survey.report.model import Report, WaveRef
from survey.report.suppression import CAUTION_BELOW, SUPPRESS_BELOW


def _wave(wave: WaveRef, now: datetime) -> str:
    # Dates in the future are said as such: a report on a wave still in the field
    # must not claim it has closed.
    when = ""
    if wave.opens_at is not None:
        verb = "opened" if wave.opens_at <= now else "opens"
        when = f", {verb} {wave.opens_at.date().isoformat()}"
        if wave.closes_at is not None:
            verb = "closed" if wave.closes_at <= now else "open until"
            when += f" and {verb} {wave.closes_at.date().isoformat()}"
    return f"“{wave.name}” ({wave.phase}{when})"


def _names(items: Sequence[str]) -> str:
    listed = list(items)
    if len(listed) <= 1:
        return "".join(listed)
    return ", ".join(listed[:-1]) + " and " + listed[-1]


def methods_paragraph(report: Report, specs: Sequence[ConstructSpec]) -> str:
    shown = [s for s in report.sites if not (s.suppressed_pre or s.suppressed_post)]
    program_sites = [s for s in shown if not s.comparison]
    comparison = [s.name for s in shown if s.comparison]
    n_pre = sum(s.n_pre or 0 for s in report.sites)
    n_post = sum(s.n_post or 0 for s in report.sites)
    primary = [s.label.lower() for s in specs if s.primary]
    reversed_items = sorted({item for s in specs for item in s.reverse})
    q = report.questionnaire
    parts = [
        f"This report compares the {_wave(report.pre, report.generated_at)} and "
        f"{_wave(report.post, report.generated_at)} waves of "
        f"{report.program_name}, using the {q.id} questionnaire (version {q.version}). "
        f"It analyses complete responses only: {n_pre:,} before and {n_post:,} after at the "
        f"sites shown"
        + (
            ", suspected duplicate open-link responses excluded"
            if report.exclude_duplicates
            else ", suspected duplicate open-link responses included"
        )
        + f"; {len(program_sites)} program site(s) have results in both waves"
        + (f", and {_names(comparison)} served as comparison site(s)." if comparison else "."),
        "Each scale score is the mean of the items a respondent answered, after "
        + (f"reverse-coding {_names(reversed_items)}, " if reversed_items else "")
        + "and only when more than half of the scale's items were answered; "
        "“don't know” and “prefer not to say” count as unanswered, never as a scale point. "
        "Scores on 0–100 are percent of maximum possible, 100·(mean − min)/(max − min), "
        "not percentages of people.",
        "Because each wave samples residents anew, changes in scale scores are tested with "
        "Welch's t-test, with a 95% Welch–Satterthwaite confidence interval and Hedges' g "
        "(exact small-sample correction); single items with the Mann–Whitney U test "
        "(tie-corrected normal approximation with continuity correction, and an exact "
        "permutation p-value where the groups are small enough) and the Brunner–Munzel "
        "test, with Cliff's delta as the effect size. Panel members who answered both waves "
        "at the same site are also compared pair by pair (paired t-test and Wilcoxon "
        "signed-rank test, zero differences dropped); the headline analysis treats them as "
        "independent.",
        f"Across sites, p-values for the {report.families.holm_tests} program-site × "
        f"primary-measure tests ({_names(primary) or 'none designated'}) are Holm-adjusted, "
        f"and the {report.families.bh_tests} program-site × item tests are "
        "Benjamini–Hochberg-adjusted as exploratory; comparison sites are in neither family.",
        "Reliability is Cronbach's alpha with a Feldt 95% interval, per scale and wave, for "
        "all languages together and for each language separately so that measurement "
        "differences between languages can be seen; alpha below 0.70 is flagged.",
    ]
    if report.did:
        parts.append(
            "Difference-in-differences subtracts the comparison sites' change from each "
            "program site's change, with a heteroskedasticity-robust (HC1) standard error; "
            "it assumes the sites would otherwise have moved in parallel, which two waves "
            "cannot test, and with few sites it is a descriptive contrast."
        )
    if report.state:
        parts.append(
            "The state roll-up pools the program sites' changes with a DerSimonian–Laird "
            "random-effects model and reports I², the share of variation between sites "
            "beyond chance."
        )
    if report.weighted:
        statuses = sorted({w.status for s in report.sites for w in s.weighting})
        parts.append(
            "Estimates are weighted: each site's respondents were raked (iterative "
            "proportional fitting) to the site's uploaded population margins ("
            + _names(report.weighting_variables)
            + "), keeping "
            "respondents outside a margin at their sample share. Weighted means and "
            "differences use each group's Kish effective sample size in the standard error, "
            "degrees of freedom and suppression; raking variance beyond the Kish design "
            "effect is not included. Rank tests, panel pairs and reliability are unweighted."
            + (
                " Not every site could be weighted; see the notes."
                if statuses != ["weighted"]
                else ""
            )
        )
    parts.append(
        f"Any figure resting on fewer than {SUPPRESS_BELOW} respondents"
        + (" (or effective respondents)" if report.weighted else "")
        + f" is suppressed, with complementary suppression in count tables, and figures "
        f"resting on {SUPPRESS_BELOW}–{CAUTION_BELOW - 1} are flagged for caution; "
        "program-level figures leave suppressed sites out."
    )
    if any(f.response_rates for f in report.fieldwork):
        parts.append(
            "Response rates (AAPOR) are given for personal invitations only: completes among "
            "the people invited, over the people invited (invitations texted, and links "
            "issued for print or mail). Residents who answered without an invitation, "
            "through an open link or by texting in first, are counted among the responses "
            "but in no response rate."
        )
    unreviewed = sorted({u.language for f in report.fieldwork for u in f.unreviewed})
    if unreviewed:
        parts.append(
            "Some responses were collected with translations that had not been reviewed ("
            + _names(unreviewed)
            + "); results in those languages should be read with that in mind."
        )
    return " ".join(parts)
