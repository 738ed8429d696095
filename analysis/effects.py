"""Effects beyond one site: difference-in-differences and the pooled effect across sites."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from analysis._arrays import NAN, answered, vector
from analysis.results import DiffInDiff, PooledEffect

Z_975 = float(special.ndtri(0.975))


def _normal_interval(estimate: float, se: float) -> tuple[float, float, float]:
    """95% normal CI and two-sided z-test p for an estimate with standard error ``se``."""
    if not se > 0:
        return NAN, NAN, NAN
    p = 2.0 * float(special.ndtr(-abs(estimate / se)))
    return estimate - Z_975 * se, estimate + Z_975 * se, p


def did_result(estimate: float, se: float, sizes: list[int]) -> DiffInDiff:
    """The DiffInDiff for ``estimate`` and ``se``, with the four cell counts.

    An SE that is not positive (no cell varies) is reported as NaN along with
    the CI and p: a zero SE would claim perfect precision, and downstream
    pooling drops NaN sites but would have to reject a zero.
    """
    ci_low, ci_high, p = _normal_interval(estimate, se)
    n_treat_pre, n_treat_post, n_comp_pre, n_comp_post = sizes
    return DiffInDiff(
        estimate=estimate,
        se_hc1=se if se > 0 else NAN,
        ci_low=ci_low,
        ci_high=ci_high,
        p=p,
        n_treat_pre=n_treat_pre,
        n_treat_post=n_treat_post,
        n_comp_pre=n_comp_pre,
        n_comp_post=n_comp_post,
    )


def diff_in_diff(
    treat_pre: ArrayLike,
    treat_post: ArrayLike,
    comp_pre: ArrayLike,
    comp_post: ArrayLike,
) -> DiffInDiff:
    """Difference-in-differences of means with an HC1 robust standard error.

    The estimate is the interaction in the OLS regression
    y ~ treat + post + treat·post on the pooled respondents, which equals
    (treat_post − treat_pre) − (comp_post − comp_pre) in means. Because that
    model is saturated, its HC1 variance is N/(N − 4) · Σ SS_cell / n_cell²,
    where SS_cell is the sum of squared deviations from the cell mean. The
    CI and p use the normal distribution, as statsmodels does for
    ``fit(cov_type="HC1")``. NaN answers are dropped; everything is NaN when
    a cell is empty or there are no more than four respondents, and the SE,
    CI and p are NaN when no cell varies. The ``n_*`` fields count each cell's
    answers.

    Respondent-level SEs ignore site-by-wave shocks, so with few sites treat
    the interval as descriptive.
    """
    cells = [
        answered(values, name)
        for values, name in (
            (treat_pre, "treat_pre"),
            (treat_post, "treat_post"),
            (comp_pre, "comp_pre"),
            (comp_post, "comp_post"),
        )
    ]
    sizes = [int(cell.size) for cell in cells]
    total = sum(sizes)
    if any(size == 0 for size in sizes) or total <= 4:
        return did_result(NAN, NAN, sizes)
    means = [float(cell.mean()) for cell in cells]
    estimate = (means[1] - means[0]) - (means[3] - means[2])
    sandwich = sum(
        float(np.sum((cell - mean) ** 2)) / cell.size**2
        for cell, mean in zip(cells, means, strict=True)
    )
    return did_result(estimate, math.sqrt(sandwich * total / (total - 4)), sizes)


def pooled_effect(estimates: ArrayLike, ses: ArrayLike) -> PooledEffect:
    """DerSimonian–Laird random-effects pooling of per-site estimates.

    τ² is the moment estimate max(0, (Q − df) / C); I² is max(0, (Q − df) / Q)
    as a fraction (0 when Q is 0). The CI is normal and p tests a pooled
    effect of zero. Sites with a NaN estimate or SE are dropped; a single
    site passes through with τ² = I² = 0, its own estimate with a normal
    interval, narrower than the t interval of that site's own test: there is
    nothing to pool, so a roll-up should ask for two sites or more (the
    survey report gives none for one). An infinite estimate, or an SE that
    is zero, negative or infinite, raises ``ValueError`` naming its index.
    """
    effect = vector(estimates, "estimates")
    se = vector(ses, "ses")
    if effect.size != se.size:
        raise ValueError(f"{effect.size} estimates but {se.size} standard errors")
    keep = ~(np.isnan(effect) | np.isnan(se))
    bad = np.flatnonzero(keep & ~(np.isfinite(effect) & np.isfinite(se) & (se > 0)))
    if bad.size:
        described = ", ".join(f"index {i} (estimate {effect[i]}, se {se[i]})" for i in bad)
        raise ValueError(
            "estimates must be finite and standard errors positive and finite; "
            f"not at {described} (pass NaN to leave a site out)"
        )
    effect, se = effect[keep], se[keep]
    if effect.size == 0:
        return PooledEffect(estimate=NAN, ci_low=NAN, ci_high=NAN, tau2=NAN, i2=NAN, q=NAN, p=NAN)
    fixed_w = 1.0 / se**2
    df = effect.size - 1
    if df == 0:
        # One site: no heterogeneity to estimate, and rounding must not invent any.
        q = tau2 = 0.0
    else:
        fixed_mean = float(np.sum(fixed_w * effect) / fixed_w.sum())
        q = float(np.sum(fixed_w * (effect - fixed_mean) ** 2))
        scale = float(fixed_w.sum() - np.sum(fixed_w**2) / fixed_w.sum())
        tau2 = max(0.0, (q - df) / scale)
    random_w = 1.0 / (se**2 + tau2)
    estimate = float(np.sum(random_w * effect) / random_w.sum())
    ci_low, ci_high, p = _normal_interval(estimate, math.sqrt(1.0 / float(random_w.sum())))
    return PooledEffect(
        estimate=estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        tau2=tau2,
        i2=max(0.0, (q - df) / q) if q > 0 else 0.0,
        q=q,
        p=p,
    )
