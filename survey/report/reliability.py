"""Reliability: Cronbach's alpha from answer-pattern counts, per construct, wave and language.

The database returns each listwise-complete answer pattern of a construct with how
many respondents gave it, so a program-wide alpha over a million respondents is a
table of at most (points ** items) rows. Alpha needs only the item variances and
the variance of the total, which frequency-weighted sums give exactly; the result
equals ``analysis.cronbach_alpha`` on the expanded respondent matrix (the report
tests check that), including its Feldt (1987) 95% CI on F(n − 1, (n − 1)(k − 1)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from analysis import CronbachAlpha
from survey.report.aggregate import ConstructSpec, decode_patterns
from survey.report.model import Reliability
from survey.report.suppression import is_caution, is_suppressed

NAN = float("nan")
CI_LEVEL = 0.95
FLAG_BELOW = 0.70
"""The criminology convention for an acceptable alpha (research note §1.3)."""


def _weighted_var(values: np.ndarray, counts: np.ndarray, n: int) -> float:
    mean = float(np.sum(counts * values)) / n
    return float(np.sum(counts * (values - mean) ** 2)) / (n - 1)


def alpha_from_patterns(patterns: ArrayLike, counts: ArrayLike) -> CronbachAlpha:
    """Alpha and its Feldt CI for ``counts[i]`` respondents answering ``patterns[i]``.

    ``patterns`` is distinct rows × items, already reverse-coded and complete.
    """
    rows = np.asarray(patterns, dtype=np.float64)
    weights = np.asarray(counts, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[0] != weights.size:
        raise ValueError("patterns must be rows × items with one count per row")
    n = int(weights.sum())
    k = int(rows.shape[1])
    if n < 2 or k < 2:
        return CronbachAlpha(alpha=NAN, ci_low=NAN, ci_high=NAN, n=n, k=k)
    total_var = _weighted_var(rows.sum(axis=1), weights, n)
    if not total_var > 0:
        return CronbachAlpha(alpha=NAN, ci_low=NAN, ci_high=NAN, n=n, k=k)
    item_var = sum(_weighted_var(rows[:, j], weights, n) for j in range(k))
    alpha = k / (k - 1) * (1.0 - item_var / total_var)
    df_subjects = n - 1
    df_error = df_subjects * (k - 1)
    tail = (1.0 - CI_LEVEL) / 2.0
    upper_f = float(special.fdtri(df_subjects, df_error, 1.0 - tail))
    lower_f = float(special.fdtri(df_subjects, df_error, tail))
    return CronbachAlpha(
        alpha=alpha,
        ci_low=1.0 - (1.0 - alpha) * upper_f,
        ci_high=1.0 - (1.0 - alpha) * lower_f,
        n=n,
        k=k,
    )


def reliability_table(
    alpha: Mapping[tuple[str, int, str], Sequence[tuple[int, int]]],
    specs: Sequence[ConstructSpec],
    waves: Sequence[int],
) -> list[Reliability]:
    """Alpha per construct × wave, over all languages and then per language.

    ``alpha`` maps (construct, wave, language) to (pattern code, respondents) rows.
    """
    grouped: dict[tuple[str, int, str | None], list[tuple[int, int]]] = {}
    for (construct, wave, lang), patterns in alpha.items():
        grouped.setdefault((construct, wave, None), []).extend(patterns)
        grouped.setdefault((construct, wave, lang), []).extend(patterns)
    by_id = {spec.construct_id: spec for spec in specs}
    order = {spec.construct_id: i for i, spec in enumerate(specs)}
    wave_order = {wave: i for i, wave in enumerate(waves)}
    out = []
    for (construct, wave, language), rows in sorted(
        grouped.items(),
        key=lambda kv: (order.get(kv[0][0], 99), wave_order.get(kv[0][1], 9), kv[0][2] or ""),
    ):
        answers = decode_patterns(by_id[construct], [code for code, _ in rows])
        r = alpha_from_patterns(answers, [n for _, n in rows])
        hidden = is_suppressed(r.n)
        out.append(
            Reliability(
                construct_id=construct,
                wave_id=wave,
                language=language,
                n=None if hidden else r.n,
                k=r.k,
                alpha=None if hidden else r.alpha,
                ci_low=None if hidden else r.ci_low,
                ci_high=None if hidden else r.ci_high,
                suppressed=hidden,
                caution=is_caution(r.n),
                below_flag=not hidden and r.alpha < FLAG_BELOW,
            )
        )
    return out
