"""Result records returned by the analysis functions.

Every record is a frozen msgspec Struct, so it encodes straight to JSON with
``msgspec.json.encode``. Missing or undefined statistics are NaN; ``None`` is
kept for "not computed by design" (an exact test that would need too many
permutations, or a 2×2-only statistic on a larger table).
"""

from __future__ import annotations

import msgspec


class IndependentComparison(msgspec.Struct, frozen=True, kw_only=True):
    """Two independent waves (repeated cross-sections), post compared with pre.

    ``diff``, ``t``, ``hedges_g``, ``cliffs_delta`` and ``bm_statistic`` are
    positive when post is higher. ``u`` is the Mann–Whitney U of the post
    group: the number of (pre, post) pairs where post is higher, ties counting
    one half.
    """

    n_pre: int
    n_post: int
    mean_pre: float
    mean_post: float
    sd_pre: float
    sd_post: float
    diff: float
    ci_low: float
    ci_high: float
    t: float
    df: float
    p: float
    hedges_g: float
    u: float
    p_mw: float
    p_mw_exact: float | None
    cliffs_delta: float
    bm_statistic: float
    p_bm: float
    small_sample: bool


class PairedComparison(msgspec.Struct, frozen=True, kw_only=True):
    """Linked panel respondents, post compared with pre.

    ``n_pairs`` counts the complete pairs, zero differences included;
    ``n_zero`` of them have post equal to pre and take no part in the
    signed-rank test. ``w_plus`` sums the ranks of the positive differences
    (post above pre).
    """

    n_pairs: int
    n_zero: int
    mean_diff: float
    t: float
    p_t: float
    dz: float
    w_plus: float
    w_minus: float
    p_wilcoxon: float
    rank_biserial: float


class CronbachAlpha(msgspec.Struct, frozen=True, kw_only=True):
    """Cronbach's alpha on listwise-complete rows, with the Feldt 95% CI."""

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int


class Contingency(msgspec.Struct, frozen=True, kw_only=True):
    """Pearson chi-square test of independence for a table of counts.

    ``fisher_p`` and ``odds_ratio`` are set only for 2×2 tables.
    """

    chi2: float
    dof: int
    p: float
    cramers_v: float
    fisher_p: float | None
    odds_ratio: float | None


class DiffInDiff(msgspec.Struct, frozen=True, kw_only=True):
    """Difference-in-differences with a heteroskedasticity-robust (HC1) SE.

    The ``n_*`` fields count each cell's answers, so a NaN result shows why.
    """

    estimate: float
    se_hc1: float
    ci_low: float
    ci_high: float
    p: float
    n_treat_pre: int
    n_treat_post: int
    n_comp_pre: int
    n_comp_post: int


class PooledEffect(msgspec.Struct, frozen=True, kw_only=True):
    """DerSimonian–Laird random-effects pooled estimate across sites."""

    estimate: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    q: float
    p: float


class BootstrapInterval(msgspec.Struct, frozen=True, kw_only=True):
    """A bootstrap confidence interval."""

    ci_low: float
    ci_high: float
