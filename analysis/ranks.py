"""Rank-based tests: Mann–Whitney, its exact permutation p, Brunner–Munzel, Wilcoxon.

All two-sample functions take ``pre`` and ``post`` already stripped of NaN, and
orient their statistics so that a positive value means post is higher.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from analysis._arrays import NAN, FloatArray, IntArray, doubled_midranks, midranks, tie_term

EXACT_LIMIT = 200_000
"""Largest number of distinct group assignments the exact Mann–Whitney p enumerates."""


def _two_sided_normal(deviation: float, variance: float) -> float:
    """Two-sided normal p with a continuity correction of one half towards zero.

    This is R's ``wilcox.test(correct = TRUE)``: the correction is
    ``sign(deviation) * 0.5``, so a deviation of exactly zero is left alone.
    """
    if not variance > 0:
        return NAN
    correction = math.copysign(0.5, deviation) if deviation else 0.0
    z = (deviation - correction) / math.sqrt(variance)
    return min(1.0, 2.0 * float(special.ndtr(-abs(z))))


def mann_whitney(pre: FloatArray, post: FloatArray) -> tuple[float, float]:
    """U of the post group and its tie-corrected, continuity-corrected normal p."""
    n_pre, n_post = pre.size, post.size
    if n_pre == 0 or n_post == 0:
        return NAN, NAN
    doubled, ties = doubled_midranks(np.concatenate([pre, post]))
    u = float(doubled[n_pre:].sum()) / 2.0 - n_post * (n_post + 1) / 2.0
    total = n_pre + n_post
    correction = tie_term(ties) / (total * (total - 1)) if total > 1 else 0.0
    variance = n_pre * n_post / 12.0 * ((total + 1) - correction)
    return u, _two_sided_normal(u - n_pre * n_post / 2.0, variance)


def _rank_sum_counts(doubled: IntArray, size: int) -> IntArray:
    """How many ``size``-subsets of the items have each doubled-rank sum.

    Items with equal ranks are interchangeable, so the dynamic programme runs
    over distinct rank values and picks k of a tie group in comb(c, k) ways.
    ``counts[s]`` is the number of subsets whose doubled ranks sum to ``s``.
    """
    top = int(np.sort(doubled)[doubled.size - size :].sum())
    if size == 1:
        # A lone answer can sit at any rank; skipping the table keeps a group of
        # one against up to 200,000 others linear instead of quadratic.
        return np.bincount(doubled, minlength=top + 1).astype(np.int64)
    values, multiplicity = np.unique(doubled, return_counts=True)
    table = np.zeros((size + 1, top + 1), dtype=np.int64)
    table[0, 0] = 1
    for value, count in zip(values.tolist(), multiplicity.tolist(), strict=True):
        grown = table.copy()
        for k in range(1, min(count, size) + 1):
            shift = k * value
            if shift > top:
                break
            grown[k:, shift:] += math.comb(count, k) * table[: size + 1 - k, : top + 1 - shift]
        table = grown
    counts: IntArray = table[size]
    return counts


def _splits_within_limit(total: int, chosen: int) -> bool:
    """Whether comb(total, chosen) ≤ EXACT_LIMIT, without building a huge integer.

    math.comb on large groups costs seconds (a million answers take half a
    minute); the partial products grow monotonically, so stop at the limit.
    """
    smaller = min(chosen, total - chosen)
    count = 1
    for step in range(1, smaller + 1):
        count = count * (total - smaller + step) // step
        if count > EXACT_LIMIT:
            return False
    return True


def mann_whitney_exact(pre: FloatArray, post: FloatArray) -> float | None:
    """Exact two-sided permutation p of U, conditional on the observed ties.

    Every way of splitting the pooled answers into groups of the observed sizes
    is equally likely under the null; the p is twice the smaller tail of the
    rank sum, capped at 1. Returns None when there are more than
    ``EXACT_LIMIT`` splits, and NaN when a group is empty.
    """
    n_pre, n_post = pre.size, post.size
    if n_pre == 0 or n_post == 0:
        return NAN
    if not _splits_within_limit(n_pre + n_post, n_pre):
        return None
    doubled, _ = doubled_midranks(np.concatenate([pre, post]))
    # The smaller group keeps the table small; the two-sided p is the same
    # whichever group's rank sum is counted.
    group = doubled[:n_pre] if n_pre <= n_post else doubled[n_pre:]
    counts = _rank_sum_counts(doubled, group.size)
    observed = int(group.sum())
    total = float(counts.sum())
    lower = float(counts[: observed + 1].sum()) / total
    upper = float(counts[observed:].sum()) / total
    return min(1.0, 2.0 * min(lower, upper))


def brunner_munzel(pre: FloatArray, post: FloatArray) -> tuple[float, float]:
    """Brunner–Munzel statistic and two-sided p from its t approximation.

    NaN when a group has fewer than two answers, or when the rank-variance
    estimate is zero (for example complete separation of the groups), where
    the t approximation is undefined; the exact Mann–Whitney p covers those
    small-sample cases.
    """
    n_pre, n_post = pre.size, post.size
    if n_pre < 2 or n_post < 2:
        return NAN, NAN
    pooled, _ = midranks(np.concatenate([pre, post]))
    within_pre, _ = midranks(pre)
    within_post, _ = midranks(post)
    pooled_pre, pooled_post = pooled[:n_pre], pooled[n_pre:]
    s_pre = float(
        np.sum((pooled_pre - within_pre - pooled_pre.mean() + (n_pre + 1) / 2.0) ** 2)
    ) / (n_pre - 1)
    s_post = float(
        np.sum((pooled_post - within_post - pooled_post.mean() + (n_post + 1) / 2.0) ** 2)
    ) / (n_post - 1)
    spread = n_pre * s_pre + n_post * s_post
    if not spread > 0:
        return NAN, NAN
    statistic = (
        n_pre
        * n_post
        * float(pooled_post.mean() - pooled_pre.mean())
        / ((n_pre + n_post) * math.sqrt(spread))
    )
    df = spread**2 / ((n_pre * s_pre) ** 2 / (n_pre - 1) + (n_post * s_post) ** 2 / (n_post - 1))
    return statistic, 2.0 * float(special.stdtr(df, -abs(statistic)))


def signed_rank(differences: FloatArray) -> tuple[float, float, float]:
    """Wilcoxon signed-rank W+, W− and the normal-approximation p.

    Zero differences must already be removed. The variance carries the tie
    correction Σ(t³ − t)/48 and the p a continuity correction, as R does.
    """
    n = differences.size
    if n == 0:
        return 0.0, 0.0, NAN
    magnitude_ranks, ties = midranks(np.abs(differences))
    w_plus = float(magnitude_ranks[differences > 0].sum())
    w_minus = float(magnitude_ranks[differences < 0].sum())
    variance = n * (n + 1) * (2 * n + 1) / 24.0 - tie_term(ties) / 48.0
    return w_plus, w_minus, _two_sided_normal(w_plus - n * (n + 1) / 4.0, variance)
