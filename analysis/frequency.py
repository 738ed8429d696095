"""``compare_independent`` for data already held as frequency tables.

A Likert item or a scale score takes few distinct values, so a wave of a million
answers is a handful of (value, count) pairs. Every statistic of
``compare_independent`` is a function of those pairs: means and variances are
count-weighted sums, and tied answers share one midrank, so the rank tests need one
rank per distinct value. This computes them in time proportional to the number of
distinct values, where expanding the table costs a sort of every answer. The exact
Mann–Whitney p, which exists only for small groups, is taken from the expanded data.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from analysis._arrays import NAN, FloatArray
from analysis.compare import SMALL_SAMPLE, T_QUANTILE, _hedges_j
from analysis.effects import did_result
from analysis.ranks import _splits_within_limit, _two_sided_normal, mann_whitney_exact
from analysis.results import DiffInDiff, IndependentComparison


def _table(values: ArrayLike, counts: ArrayLike, name: str) -> tuple[FloatArray, FloatArray]:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    c = np.asarray(counts, dtype=np.float64).reshape(-1)
    if v.shape != c.shape:
        raise ValueError(f"{name}: values and counts differ in length ({v.size} vs {c.size})")
    if np.any(c < 0) or not np.all(np.isfinite(c)) or np.any(c != np.floor(c)):
        raise ValueError(f"{name}: counts must be non-negative whole numbers")
    keep = ~np.isnan(v) & (c > 0)
    return v[keep], c[keep]


def _moments(values: FloatArray, counts: FloatArray) -> tuple[float, float, float]:
    """n, mean and the ddof=1 variance of the expanded data."""
    n = float(counts.sum())
    if n == 0:
        return 0.0, NAN, NAN
    mean = float(np.dot(counts, values)) / n
    variance = float(np.dot(counts, (values - mean) ** 2)) / (n - 1) if n >= 2 else NAN
    return n, mean, variance


def compare_frequencies(
    pre_values: ArrayLike,
    pre_counts: ArrayLike,
    post_values: ArrayLike,
    post_counts: ArrayLike,
) -> IndependentComparison:
    """``compare_independent(np.repeat(pre_values, pre_counts), np.repeat(post_values,
    post_counts))``, without the repeat. Values may repeat (they are merged); NaN
    values and zero counts are dropped."""
    pv, pc = _table(pre_values, pre_counts, "pre")
    qv, qc = _table(post_values, post_counts, "post")
    values, position = np.unique(np.concatenate([pv, qv]), return_inverse=True)
    a = np.bincount(position[: pv.size], weights=pc, minlength=values.size).astype(np.float64)
    b = np.bincount(position[pv.size :], weights=qc, minlength=values.size).astype(np.float64)
    n_pre, mean_pre, var_pre = _moments(values, a)
    n_post, mean_post, var_post = _moments(values, b)
    t = df = p = ci_low = ci_high = g = NAN
    if n_pre >= 2 and n_post >= 2:
        share_pre, share_post = var_pre / n_pre, var_post / n_post
        variance = share_pre + share_post
        if variance > 0:
            diff = mean_post - mean_pre
            se = math.sqrt(variance)
            df = variance**2 / (share_pre**2 / (n_pre - 1) + share_post**2 / (n_post - 1))
            t = diff / se
            p = 2.0 * float(special.stdtr(df, -abs(t)))
            half = float(special.stdtrit(df, T_QUANTILE)) * se
            ci_low, ci_high = diff - half, diff + half
        dof = n_pre + n_post - 2
        pooled = ((n_pre - 1) * var_pre + (n_post - 1) * var_post) / dof
        if pooled > 0:
            g = (mean_post - mean_pre) / math.sqrt(pooled) * _hedges_j(dof)
    u = p_mw = bm = p_bm = NAN
    p_exact: float | None = NAN
    if n_pre > 0 and n_post > 0:
        c = a + b
        total = n_pre + n_post
        # Midrank of each distinct value: pooled, and within each group.
        pooled_rank = np.cumsum(c) - (c - 1) / 2.0
        rank_pre = np.cumsum(a) - (a - 1) / 2.0
        rank_post = np.cumsum(b) - (b - 1) / 2.0
        u = float(np.dot(b, pooled_rank)) - n_post * (n_post + 1) / 2.0
        ties = float(np.sum(c**3 - c))
        correction = ties / (total * (total - 1)) if total > 1 else 0.0
        p_mw = _two_sided_normal(
            u - n_pre * n_post / 2.0, n_pre * n_post / 12.0 * ((total + 1) - correction)
        )
        if n_pre >= 2 and n_post >= 2:
            mean_rank_pre = float(np.dot(a, pooled_rank)) / n_pre
            mean_rank_post = float(np.dot(b, pooled_rank)) / n_post
            s_pre = float(
                np.dot(a, (pooled_rank - rank_pre - mean_rank_pre + (n_pre + 1) / 2.0) ** 2)
            ) / (n_pre - 1)
            s_post = float(
                np.dot(b, (pooled_rank - rank_post - mean_rank_post + (n_post + 1) / 2.0) ** 2)
            ) / (n_post - 1)
            spread = n_pre * s_pre + n_post * s_post
            if spread > 0:
                bm = n_pre * n_post * (mean_rank_post - mean_rank_pre) / (total * math.sqrt(spread))
                bm_df = spread**2 / (
                    (n_pre * s_pre) ** 2 / (n_pre - 1) + (n_post * s_post) ** 2 / (n_post - 1)
                )
                p_bm = 2.0 * float(special.stdtr(bm_df, -abs(bm)))
        p_exact = None
        if _splits_within_limit(int(total), int(n_pre)):
            p_exact = mann_whitney_exact(
                np.repeat(values, a.astype(np.int64)), np.repeat(values, b.astype(np.int64))
            )
    pairs = n_pre * n_post
    return IndependentComparison(
        n_pre=int(n_pre),
        n_post=int(n_post),
        mean_pre=mean_pre,
        mean_post=mean_post,
        sd_pre=math.sqrt(var_pre) if n_pre >= 2 else NAN,
        sd_post=math.sqrt(var_post) if n_post >= 2 else NAN,
        diff=mean_post - mean_pre,
        ci_low=ci_low,
        ci_high=ci_high,
        t=t,
        df=df,
        p=p,
        hedges_g=g,
        u=u,
        p_mw=p_mw,
        p_mw_exact=p_exact,
        cliffs_delta=(2.0 * u - pairs) / pairs if pairs else NAN,
        bm_statistic=bm,
        p_bm=p_bm,
        small_sample=bool(n_pre < SMALL_SAMPLE or n_post < SMALL_SAMPLE),
    )


def diff_in_diff_frequencies(
    treat_pre: tuple[ArrayLike, ArrayLike],
    treat_post: tuple[ArrayLike, ArrayLike],
    comp_pre: tuple[ArrayLike, ArrayLike],
    comp_post: tuple[ArrayLike, ArrayLike],
) -> DiffInDiff:
    """``diff_in_diff`` on four frequency tables, each (values, counts): the same
    estimate and HC1 standard error, from each cell's count, mean and sum of squared
    deviations, without expanding the tables."""
    cells = [
        _table(values, counts, name)
        for (values, counts), name in (
            (treat_pre, "treat_pre"),
            (treat_post, "treat_post"),
            (comp_pre, "comp_pre"),
            (comp_post, "comp_post"),
        )
    ]
    sizes = [float(c.sum()) for _, c in cells]
    counts = [int(n) for n in sizes]
    total = sum(sizes)
    if any(n == 0 for n in sizes) or total <= 4:
        return did_result(NAN, NAN, counts)
    means = [float(np.dot(c, v)) / n for (v, c), n in zip(cells, sizes, strict=True)]
    estimate = (means[1] - means[0]) - (means[3] - means[2])
    sandwich = sum(
        float(np.dot(c, (v - mean) ** 2)) / n**2
        for (v, c), mean, n in zip(cells, means, sizes, strict=True)
    )
    return did_result(estimate, math.sqrt(sandwich * total / (total - 4)), counts)
