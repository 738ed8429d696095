"""Pre/post comparisons: independent waves and linked panel pairs.

Degenerate input never raises. A statistic that needs more data than it was
given (fewer than two answers in a group, or no spread at all) comes back as
NaN, and the counts say why.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from analysis._arrays import NAN, FloatArray, answered, vector
from analysis.ranks import brunner_munzel, mann_whitney, mann_whitney_exact, signed_rank
from analysis.results import IndependentComparison, PairedComparison

SMALL_SAMPLE = 10
"""Groups under this many answers are flagged as small samples."""

T_QUANTILE = 0.975


def _mean(values: FloatArray) -> float:
    return float(values.mean()) if values.size else NAN


def _sd(values: FloatArray) -> float:
    return float(values.std(ddof=1)) if values.size >= 2 else NAN


def _hedges_j(df: float) -> float:
    """Exact small-sample correction Γ(df/2) / (√(df/2) · Γ((df − 1)/2))."""
    return math.exp(special.gammaln(df / 2.0) - special.gammaln((df - 1.0) / 2.0)) / math.sqrt(
        df / 2.0
    )


def _welch(pre: FloatArray, post: FloatArray) -> tuple[float, float, float, float, float]:
    """Welch t, Welch–Satterthwaite df, p, and the 95% CI of post − pre."""
    if pre.size < 2 or post.size < 2:
        return NAN, NAN, NAN, NAN, NAN
    share_pre = float(pre.var(ddof=1)) / pre.size
    share_post = float(post.var(ddof=1)) / post.size
    variance = share_pre + share_post
    if not variance > 0:
        return NAN, NAN, NAN, NAN, NAN
    diff = float(post.mean() - pre.mean())
    se = math.sqrt(variance)
    df = variance**2 / (share_pre**2 / (pre.size - 1) + share_post**2 / (post.size - 1))
    t = diff / se
    p = 2.0 * float(special.stdtr(df, -abs(t)))
    half_width = float(special.stdtrit(df, T_QUANTILE)) * se
    return t, df, p, diff - half_width, diff + half_width


def _hedges_g(pre: FloatArray, post: FloatArray) -> float:
    """Standardised difference on the pooled SD, times the exact J correction."""
    if pre.size < 2 or post.size < 2:
        return NAN
    df = pre.size + post.size - 2
    pooled_var = ((pre.size - 1) * pre.var(ddof=1) + (post.size - 1) * post.var(ddof=1)) / df
    if not pooled_var > 0:
        return NAN
    return float(post.mean() - pre.mean()) / math.sqrt(float(pooled_var)) * _hedges_j(df)


def compare_independent(pre: ArrayLike, post: ArrayLike) -> IndependentComparison:
    """Compare two independent waves (repeated cross-sections), post against pre.

    NaN answers are dropped from each group separately. The parametric
    fields (t, df, p, CI, ``hedges_g``) are NaN when a group has fewer than
    two answers or neither group varies; ``p_bm`` is NaN in the same cases and
    also when the groups are completely separated (see ``brunner_munzel``).
    ``p_mw_exact`` is None when more than 200,000 group splits would be needed.
    """
    before = answered(pre, "pre")
    after = answered(post, "post")
    t, df, p, ci_low, ci_high = _welch(before, after)
    u, p_mw = mann_whitney(before, after)
    bm_statistic, p_bm = brunner_munzel(before, after)
    pairs = before.size * after.size
    return IndependentComparison(
        n_pre=int(before.size),
        n_post=int(after.size),
        mean_pre=_mean(before),
        mean_post=_mean(after),
        sd_pre=_sd(before),
        sd_post=_sd(after),
        diff=_mean(after) - _mean(before),
        ci_low=ci_low,
        ci_high=ci_high,
        t=t,
        df=df,
        p=p,
        hedges_g=_hedges_g(before, after),
        u=u,
        p_mw=p_mw,
        p_mw_exact=mann_whitney_exact(before, after),
        cliffs_delta=(2.0 * u - pairs) / pairs if pairs else NAN,
        bm_statistic=bm_statistic,
        p_bm=p_bm,
        small_sample=bool(before.size < SMALL_SAMPLE or after.size < SMALL_SAMPLE),
    )


def compare_paired(pre: ArrayLike, post: ArrayLike) -> PairedComparison:
    """Compare linked panel answers, post against pre, pair by pair.

    A pair with NaN on either side is dropped. Zero differences count in
    ``n_pairs`` and the t test, but the signed-rank test drops them first
    (``zero_method='wilcox'``) and reports how many in ``n_zero``. The t, p
    and ``dz`` are NaN with fewer than two pairs or no spread in the
    differences. When every difference is zero, or there are no pairs, the
    signed-rank sums ``w_plus`` and ``w_minus`` are 0 (sums over no ranks)
    and ``p_wilcoxon`` and ``rank_biserial`` are NaN.
    """
    before = vector(pre, "pre")
    after = vector(post, "post")
    if before.size != after.size:
        raise ValueError(f"pre and post must pair up: {before.size} pre vs {after.size} post")
    complete = ~(np.isnan(before) | np.isnan(after))
    differences = after[complete] - before[complete]
    n = int(differences.size)
    mean_diff = _mean(differences)
    sd_diff = _sd(differences)
    if n >= 2 and sd_diff > 0:
        t = mean_diff / (sd_diff / math.sqrt(n))
        p_t = 2.0 * float(special.stdtr(n - 1, -abs(t)))
        dz = mean_diff / sd_diff
    else:
        t = p_t = dz = NAN
    nonzero = differences[differences != 0]
    w_plus, w_minus, p_wilcoxon = signed_rank(nonzero)
    rank_sum = w_plus + w_minus
    return PairedComparison(
        n_pairs=n,
        n_zero=n - int(nonzero.size),
        mean_diff=mean_diff,
        t=t,
        p_t=p_t,
        dz=dz,
        w_plus=w_plus,
        w_minus=w_minus,
        p_wilcoxon=p_wilcoxon,
        rank_biserial=(w_plus - w_minus) / rank_sum if rank_sum else NAN,
    )
