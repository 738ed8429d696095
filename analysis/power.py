"""Power planning for two-sided t tests: sample size and minimum detectable effect."""

from __future__ import annotations

import math

from scipy import optimize, special


def _check(alpha: float, power: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    if not 0 < power < 1:
        raise ValueError(f"power must lie strictly between 0 and 1, got {power}")


def t_power(d: float, n: float, alpha: float = 0.05, paired: bool = False) -> float:
    """Power of the two-sided t test from the noncentral t distribution.

    ``n`` is the size of each of two equal groups, or the number of pairs when
    ``paired``; both rejection tails count, as in statsmodels' ``TTestIndPower``.
    """
    df = n - 1.0 if paired else 2.0 * n - 2.0
    noncentrality = abs(d) * math.sqrt(n if paired else n / 2.0)
    critical = float(special.stdtrit(df, 1.0 - alpha / 2.0))
    upper = 1.0 - float(special.nctdtr(df, noncentrality, critical))
    # P(T < −c) is taken as P(−T > c) with −T noncentral at −δ: nctdtr returns NaN
    # deep in this tail, and the complement is exact to 1e-16, plenty for a power.
    lower = 1.0 - float(special.nctdtr(df, -noncentrality, critical))
    return upper + lower


def sample_size(d: float, alpha: float = 0.05, power: float = 0.8, paired: bool = False) -> int:
    """Smallest n per group (pairs when ``paired``) whose two-sided t test has ``power``.

    ``d`` is the standardised effect (Cohen's d, or d_z for pairs); its sign
    does not matter. The search starts from the normal approximation, which
    the t-based answer differs from by a few units at most.
    """
    _check(alpha, power)
    if not (math.isfinite(d) and d != 0):
        raise ValueError(f"d must be finite and non-zero, got {d}")
    effect = abs(d)
    z = float(special.ndtri(1.0 - alpha / 2.0) + special.ndtri(power))
    groups = 1.0 if paired else 2.0
    n = max(2, math.floor(groups * (z / effect) ** 2))
    while t_power(effect, n, alpha, paired) < power:
        n += 1
    while n > 2 and t_power(effect, n - 1, alpha, paired) >= power:
        n -= 1
    return n


def mde(n_per_group: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest standardised difference d that two independent groups detect with ``power``.

    ``n_per_group`` may be fractional, so a Kish effective n can be passed.
    """
    _check(alpha, power)
    if not power > alpha:
        raise ValueError(f"power ({power}) must exceed alpha ({alpha}): any d would do")
    if not n_per_group >= 2:
        raise ValueError(f"n_per_group must be at least 2, got {n_per_group}")

    def shortfall(d: float) -> float:
        return t_power(d, n_per_group, alpha) - power

    high = 1.0
    while shortfall(high) < 0:
        high *= 2.0
    return float(optimize.brentq(shortfall, 0.0, high, xtol=1e-14, rtol=1e-15))
