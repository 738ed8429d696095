"""Across sites: multiplicity, difference-in-differences and the state roll-up.

Families (research note §2.4), fixed before any p-value is seen:
- Holm: every program site × primary construct with a shown change (Welch p).
- Benjamini–Hochberg: every program site × Likert item with a shown change
  (Mann–Whitney p), the exploratory grid.
Comparison sites are controls, not program sites, so they are in neither family.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from analysis import adjust_pvalues, diff_in_diff_frequencies, pooled_effect
from survey.report import weighted
from survey.report.aggregate import ConstructSpec
from survey.report.model import DidChange, PooledResult, ProgramDid, Report, SiteReport
from survey.report.sample import Sample
from survey.report.sites import scale_change

# (site_id, construct_id, wave_id) → the construct's scores at that site and wave.
Samples = Mapping[tuple[int, str, int], Sample]


def apply_holm(sites: Sequence[SiteReport]) -> int:
    """Holm-adjust the primary constructs' Welch p across program sites; returns m."""
    cells = [
        c.change
        for site in sites
        if not site.comparison
        for c in site.constructs
        if c.primary and c.change is not None and not math.isnan(c.change.p)
    ]
    if cells:
        adjusted = adjust_pvalues([c.p for c in cells], "holm")
        for change, value in zip(cells, adjusted, strict=True):
            change.p_holm = float(value)
    return len(cells)


def apply_bh(sites: Sequence[SiteReport]) -> int:
    """Benjamini–Hochberg across the program site × item grid (Mann–Whitney p)."""
    cells = [
        i.change
        for site in sites
        if not site.comparison
        for i in site.items
        if i.change is not None and not math.isnan(i.change.p_mw)
    ]
    if cells:
        adjusted = adjust_pvalues([c.p_mw for c in cells], "bh")
        for change, value in zip(cells, adjusted, strict=True):
            change.p_bh = float(value)
    return len(cells)


def _did(
    treat: tuple[Sample, Sample], comp: tuple[Sample, Sample], weighted_: bool
) -> tuple[float, float, float, float, float]:
    if weighted_:
        w = weighted.diff_in_diff(treat[0], treat[1], comp[0], comp[1])
        return w.estimate, w.se, w.ci_low, w.ci_high, w.p
    r = diff_in_diff_frequencies(*((s.values, s.counts) for s in (*treat, *comp)))
    return r.estimate, r.se_hc1, r.ci_low, r.ci_high, r.p


def site_did(
    spec: ConstructSpec,
    treat: tuple[Sample, Sample],
    comp: tuple[Sample, Sample],
    weighted_: bool,
) -> DidChange:
    estimate, se, lo, hi, p = _did(treat, comp, weighted_)
    return DidChange(
        estimate=estimate,
        estimate_score=scale_change(estimate, spec.low, spec.high),
        se=se,
        ci_low=lo,
        ci_high=hi,
        p=p,
        weighted=weighted_,
    )


def program_did(
    spec: ConstructSpec,
    treated: Sequence[int],
    comparison: Sequence[int],
    samples: Samples,
    waves: tuple[int, int],
    weighted_: bool,
) -> ProgramDid | None:
    """All shown program sites pooled against all shown comparison sites.

    Unweighted, every respondent counts once; weighted, the raked weights add up to
    each site's population, so larger sites count for more, as in the population.
    """
    if not treated or not comparison:
        return None

    def pooled(site_ids: Sequence[int], wave: int) -> Sample:
        return Sample.concat(samples[(s, spec.construct_id, wave)] for s in site_ids)

    treat = (pooled(treated, waves[0]), pooled(treated, waves[1]))
    comp = (pooled(comparison, waves[0]), pooled(comparison, waves[1]))
    estimate, se, lo, hi, p = _did(treat, comp, weighted_)
    return ProgramDid(
        construct_id=spec.construct_id,
        label=spec.label,
        treated_site_ids=list(treated),
        comparison_site_ids=list(comparison),
        estimate=estimate,
        estimate_score=scale_change(estimate, spec.low, spec.high),
        se=se,
        ci_low=lo,
        ci_high=hi,
        p=p,
        weighted=weighted_,
    )


MIN_POOLED = 2
"""Sites a state roll-up needs: a pool of one site is that site's own change with a
normal interval, narrower than its Welch one, so none is reported."""


def pooled_sites(construct_id: str, sites: Sequence[SiteReport]) -> list[tuple[int, float, float]]:
    """(site id, change, SE) of the program sites whose change in the construct can be
    pooled: shown, with a finite change and a positive SE."""
    included: list[tuple[int, float, float]] = []
    for site in sites:
        if site.comparison:
            continue
        for c in site.constructs:
            if c.construct_id != construct_id or c.change is None:
                continue
            if np.isfinite(c.change.diff) and np.isfinite(c.change.se) and c.change.se > 0:
                included.append((site.site_id, c.change.diff, c.change.se))
    return included


def state_rollup(spec: ConstructSpec, sites: Sequence[SiteReport]) -> PooledResult | None:
    """DerSimonian–Laird pool of the program sites' changes, with I²; None for a
    construct with results at fewer than ``MIN_POOLED`` sites (a note says why).

    Sites whose change is suppressed are not pooled, so the pooled estimate carries
    nothing a suppressed cell hides.
    """
    included = pooled_sites(spec.construct_id, sites)
    if len(included) < MIN_POOLED:
        return None
    r = pooled_effect([e for _, e, _ in included], [s for _, _, s in included])
    return PooledResult(
        construct_id=spec.construct_id,
        label=spec.label,
        primary=spec.primary,
        site_ids=[site for site, _, _ in included],
        estimate=r.estimate,
        estimate_score=scale_change(r.estimate, spec.low, spec.high),
        ci_low=r.ci_low,
        ci_high=r.ci_high,
        tau2=r.tau2,
        i2=r.i2,
        q=r.q,
        p=r.p,
    )


def forest_measures(report: Report) -> list[tuple[str, str, PooledResult | None]]:
    """(construct id, label, its roll-up or None) of each primary measure with results
    at a program site: a forest plot each, with the pooled diamond where there is a
    roll-up (a measure with results at one site has none, but still its plot)."""
    pools = {p.construct_id: p for p in report.state}
    measures = {
        c.construct_id: c.label
        for site in report.sites
        if not site.comparison
        for c in site.constructs
        if c.primary
    }
    return [
        (construct_id, label, pools.get(construct_id))
        for construct_id, label in measures.items()
        if pooled_sites(construct_id, report.sites)
    ]
