"""Per-site results: one site × construct or item, pre against post.

Unweighted, every statistic comes from ``analysis``: Welch, Hedges g and the rank
tests from ``compare_frequencies`` on the frequency tables (what
``compare_independent`` gives on the respondents' values, without rebuilding a
million of them), panel pairs from ``compare_paired``. Weighted, the means,
differences and CIs come from ``survey.report.weighted`` with effective n, and the
rank tests stay unweighted (there is no standard weighted Mann–Whitney).
"""

from __future__ import annotations

import math

import numpy as np

from analysis import compare_frequencies, compare_paired
from survey.report import weighted
from survey.report.model import (
    Change,
    ItemChange,
    PairedChange,
    WaveStat,
)
from survey.report.sample import NAN, Sample
from survey.report.suppression import is_caution, is_suppressed


def pomp(value: float, low: float, high: float) -> float:
    return 100.0 * (value - low) / (high - low)


def scale_change(value: float, low: float, high: float) -> float:
    """A difference on the 0–100 scale: no offset, only the stretch."""
    return 100.0 * value / (high - low)


def wave_stat(
    sample: Sample, *, reported: bool, weighted_: bool, low: float, high: float
) -> WaveStat:
    """n, effective n, mean, SD and 0–100 score of one wave, or a suppressed cell."""
    n = sample.n
    n_eff = sample.n_eff() if weighted_ and n else None
    if not reported or is_suppressed(n, n_eff):
        return WaveStat(
            n=None, n_eff=None, mean=None, sd=None, score=None, suppressed=True, caution=False
        )
    mean = sample.mean()
    return WaveStat(
        n=n,
        n_eff=n_eff,
        mean=mean,
        sd=sample.sd(),
        score=pomp(mean, low, high),
        suppressed=False,
        caution=is_caution(n, n_eff),
    )


def construct_change(
    pre: Sample,
    post: Sample,
    stats: tuple[WaveStat, WaveStat],
    *,
    weighted_: bool,
    low: float,
    high: float,
) -> tuple[Change | None, tuple[WaveStat, WaveStat]]:
    """Welch change of a scale score; None when either wave is suppressed.

    Unweighted, the wave means and SDs are replaced by the library's, so every
    number in the cell comes from one computation.
    """
    before, after = stats
    if before.suppressed or after.suppressed:
        return None, stats
    if weighted_:
        w = weighted.welch(pre, post)
        diff, se, t, df, p, lo, hi, g = (
            w.diff,
            w.se,
            w.t,
            w.df,
            w.p,
            w.ci_low,
            w.ci_high,
            (w.hedges_g),
        )
    else:
        r = compare_frequencies(pre.values, pre.counts, post.values, post.counts)
        diff, t, df, p, lo, hi, g = r.diff, r.t, r.df, r.p, r.ci_low, r.ci_high, r.hedges_g
        se = (
            math.sqrt(r.sd_pre**2 / r.n_pre + r.sd_post**2 / r.n_post)
            if r.n_pre > 1 and (r.n_post > 1)
            else NAN
        )
        before = _with(before, r.mean_pre, r.sd_pre, low, high)
        after = _with(after, r.mean_post, r.sd_post, low, high)
    change = Change(
        diff=diff,
        diff_score=scale_change(diff, low, high),
        ci_low=lo,
        ci_high=hi,
        ci_low_score=scale_change(lo, low, high),
        ci_high_score=scale_change(hi, low, high),
        se=se,
        t=t,
        df=df,
        p=p,
        p_holm=None,
        hedges_g=g,
        weighted=weighted_,
        caution=before.caution or after.caution,
    )
    return change, (before, after)


def _with(stat: WaveStat, mean: float, sd: float, low: float, high: float) -> WaveStat:
    return WaveStat(
        n=stat.n,
        n_eff=stat.n_eff,
        mean=mean,
        sd=sd,
        score=pomp(mean, low, high),
        suppressed=stat.suppressed,
        caution=stat.caution,
    )


def item_change(
    pre: Sample, post: Sample, stats: tuple[WaveStat, WaveStat], *, weighted_: bool
) -> ItemChange | None:
    """Rank tests (Mann–Whitney, Brunner–Munzel, Cliff's delta) and the mean shift."""
    before, after = stats
    if before.suppressed or after.suppressed:
        return None
    r = compare_frequencies(pre.values, pre.counts, post.values, post.counts)
    diff, lo, hi = r.diff, r.ci_low, r.ci_high
    if weighted_:
        w = weighted.welch(pre, post)
        diff, lo, hi = w.diff, w.ci_low, w.ci_high
    return ItemChange(
        diff=diff,
        ci_low=lo,
        ci_high=hi,
        u=r.u,
        p_mw=r.p_mw,
        p_mw_exact=r.p_mw_exact,
        p_bm=r.p_bm,
        bm_statistic=r.bm_statistic,
        cliffs_delta=r.cliffs_delta,
        p_bh=None,
        weighted=weighted_,
        caution=before.caution or after.caution,
    )


def shares(sample: Sample, stat: WaveStat) -> dict[str, float] | None:
    """Share of each answer value ('1'…'5'), weighted when the sample is."""
    if stat.suppressed:
        return None
    return {_label(value): share for value, share in sample.shares().items()}


def _label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def paired_change(rows: list[tuple[float, int]], *, reported: bool) -> PairedChange | None:
    """Paired t and Wilcoxon signed-rank for linked panel respondents at one site.

    ``rows`` counts pairs by their difference, post − pre, which is all the paired
    tests look at: the library gets zeros and the differences, so its post − pre
    gives back exactly these differences.
    """
    if not rows:
        return None
    counts = np.array([count for _, count in rows], dtype=np.int64)
    n = int(counts.sum())
    if not reported or is_suppressed(n):
        return PairedChange(
            n_pairs=None,
            n_zero=None,
            mean_diff=None,
            t=None,
            p_t=None,
            dz=None,
            w_plus=None,
            w_minus=None,
            p_wilcoxon=None,
            rank_biserial=None,
            suppressed=True,
            caution=False,
        )
    differences = np.repeat(np.array([diff for diff, _ in rows], dtype=np.float64), counts)
    r = compare_paired(np.zeros(n), differences)
    return PairedChange(
        n_pairs=r.n_pairs,
        n_zero=r.n_zero,
        mean_diff=r.mean_diff,
        t=r.t,
        p_t=r.p_t,
        dz=r.dz,
        w_plus=r.w_plus,
        w_minus=r.w_minus,
        p_wilcoxon=r.p_wilcoxon,
        rank_biserial=r.rank_biserial,
        suppressed=False,
        caution=is_caution(n),
    )
