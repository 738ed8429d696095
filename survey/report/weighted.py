"""Weighted versions of the pre/post comparisons, for raked samples.

``analysis`` takes unweighted arrays. With weights the report needs:

- ``welch``: the Welch t test on weighted means, with each group's Kish effective
  n in place of its n (in the standard error and the Welch–Satterthwaite df), so
  the effective n is what the CI rests on (research note §2.6). With equal
  weights it is exactly ``analysis.compare_independent``'s Welch test.
- ``diff_in_diff``: weighted cell means with the HC1 sandwich standard error of
  the weighted least-squares interaction, N/(N − 4) · Σ_cells Σw²e²/(Σw)². That is
  what statsmodels' ``WLS(...).fit(cov_type="HC1")`` gives, and with equal
  weights it is ``analysis.diff_in_diff``.

Both ignore the variance raking adds beyond the Kish factor (no replicate
weights); the methods paragraph says so.
"""

from __future__ import annotations

import math

import msgspec
from scipy import special

from survey.report.sample import NAN, Sample

Z_975 = float(special.ndtri(0.975))


class WelchResult(msgspec.Struct, frozen=True):
    diff: float
    se: float
    t: float
    df: float
    p: float
    ci_low: float
    ci_high: float
    hedges_g: float


def _hedges_j(df: float) -> float:
    """Exact small-sample correction Γ(df/2)/(√(df/2)·Γ((df − 1)/2)), as in analysis."""
    return math.exp(special.gammaln(df / 2.0) - special.gammaln((df - 1.0) / 2.0)) / math.sqrt(
        df / 2.0
    )


def welch(pre: Sample, post: Sample) -> WelchResult:
    """Welch's t on weighted means with effective n; NaN fields when undefined."""
    n_pre, n_post = pre.n_eff(), post.n_eff()
    var_pre, var_post = pre.variance(), post.variance()
    diff = post.mean() - pre.mean()
    nan = WelchResult(diff, NAN, NAN, NAN, NAN, NAN, NAN, NAN)
    if not (n_pre > 1 and n_post > 1) or math.isnan(var_pre) or math.isnan(var_post):
        return nan
    share_pre, share_post = var_pre / n_pre, var_post / n_post
    variance = share_pre + share_post
    if not variance > 0:
        return nan
    se = math.sqrt(variance)
    df = variance**2 / (share_pre**2 / (n_pre - 1.0) + share_post**2 / (n_post - 1.0))
    t = diff / se
    p = 2.0 * float(special.stdtr(df, -abs(t)))
    half = float(special.stdtrit(df, 0.975)) * se
    pooled_df = n_pre + n_post - 2.0
    pooled = ((n_pre - 1.0) * var_pre + (n_post - 1.0) * var_post) / pooled_df
    g = diff / math.sqrt(pooled) * _hedges_j(pooled_df) if pooled > 0 else NAN
    return WelchResult(diff, se, t, df, p, diff - half, diff + half, g)


class DidResult(msgspec.Struct, frozen=True):
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float


def diff_in_diff(
    treat_pre: Sample, treat_post: Sample, comp_pre: Sample, comp_post: Sample
) -> DidResult:
    """Weighted difference-in-differences with the WLS HC1 standard error."""
    cells = (treat_pre, treat_post, comp_pre, comp_post)
    total = sum(cell.n for cell in cells)
    if any(cell.n == 0 for cell in cells) or total <= 4:
        return DidResult(NAN, NAN, NAN, NAN, NAN)
    estimate = (treat_post.mean() - treat_pre.mean()) - (comp_post.mean() - comp_pre.mean())
    se = math.sqrt(sum(cell.linearized_ss() for cell in cells) * total / (total - 4))
    if not se > 0:
        return DidResult(estimate, NAN, NAN, NAN, NAN)
    p = 2.0 * float(special.ndtr(-abs(estimate / se)))
    return DidResult(estimate, se, estimate - Z_975 * se, estimate + Z_975 * se, p)
