"""Scale scoring and reliability: respondent scores, POMP scores, Cronbach's alpha."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from analysis._arrays import NAN, FloatArray, matrix
from analysis.results import CronbachAlpha

CI_LEVEL = 0.95


def _check_range(answers: FloatArray, scale_min: float, scale_max: float) -> None:
    """Raise for answers off the scale: reverse-coding them would give nonsense.

    A 7-point item scored as 1..5, or a -99 "refused" code, would otherwise be
    recoded to a plausible-looking but wrong score.
    """
    if not scale_max > scale_min:
        raise ValueError(f"scale_max ({scale_max}) must exceed scale_min ({scale_min})")
    outside = (answers < scale_min) | (answers > scale_max)
    if not outside.any():
        return
    columns = np.flatnonzero(outside.any(axis=0))
    values = [np.unique(answers[outside[:, column], column]) for column in columns]
    described = "; ".join(
        f"column {column}: {', '.join(f'{v:g}' for v in found)}"
        for column, found in zip(columns, values, strict=True)
    )
    raise ValueError(
        f"answers outside the scale {scale_min:g}..{scale_max:g} ({described}); "
        "pass the scale's scale_min and scale_max, or set missing codes to NaN"
    )


def score_scale(
    items: ArrayLike,
    reverse: Sequence[int] = (),
    scale_min: float = 1,
    scale_max: float = 5,
) -> FloatArray:
    """Per-respondent scale scores: the mean of the items each respondent answered.

    ``items`` is respondents × items with NaN for an unanswered item.
    Columns listed in ``reverse`` are recoded to ``scale_min + scale_max − x``
    first. A respondent who answered half the items or fewer gets NaN, the
    rule the Urban Institute adopted after scoring missing items as zero.
    Answers outside ``scale_min..scale_max`` raise ``ValueError`` naming the
    values and their item columns (0-based). ``pd.NA`` counts as missing.
    """
    answers = matrix(items).copy()
    k = answers.shape[1]
    for column in reverse:
        if not -k <= column < k:
            raise ValueError(f"reverse column {column} is outside the {k} item columns")
    _check_range(answers, scale_min, scale_max)
    columns = sorted({column % k for column in reverse}) if k else []
    answers[:, columns] = scale_min + scale_max - answers[:, columns]
    present = ~np.isnan(answers)
    count = present.sum(axis=1)
    total = np.where(present, answers, 0.0).sum(axis=1)
    enough = 2 * count > k
    scores = np.full(answers.shape[0], NAN)
    scores[enough] = total[enough] / count[enough]
    return scores


def pomp(scores: ArrayLike, scale_min: float, scale_max: float) -> FloatArray:
    """Percent of maximum possible: 0 at the scale floor, 100 at its ceiling.

    NaN stays NaN. A score outside ``scale_min..scale_max`` raises ``ValueError``
    naming it and its position, since it would map below 0 or above 100.
    """
    values = np.asarray(scores, dtype=np.float64)
    if not scale_max > scale_min:
        raise ValueError(f"scale_max ({scale_max}) must exceed scale_min ({scale_min})")
    outside = np.flatnonzero((values < scale_min) | (values > scale_max))
    if outside.size:
        described = ", ".join(f"{values.flat[i]:g} at index {i}" for i in outside)
        raise ValueError(f"scores outside the scale {scale_min:g}..{scale_max:g}: {described}")
    return np.asarray(100.0 * (values - scale_min) / (scale_max - scale_min), dtype=np.float64)


def cronbach_alpha(items: ArrayLike) -> CronbachAlpha:
    """Cronbach's alpha on the listwise-complete rows, with the Feldt (1987) 95% CI.

    The CI uses the F distribution with n − 1 and (n − 1)(k − 1) degrees of
    freedom. All three numbers are NaN with fewer than two complete rows,
    fewer than two items, or a total score that does not vary. ``pd.NA`` counts
    as missing.
    """
    answers = matrix(items)
    complete = answers[~np.isnan(answers).any(axis=1)]
    n, k = complete.shape
    if n < 2 or k < 2:
        return CronbachAlpha(alpha=NAN, ci_low=NAN, ci_high=NAN, n=int(n), k=int(k))
    total_var = float(complete.sum(axis=1).var(ddof=1))
    if not total_var > 0:
        return CronbachAlpha(alpha=NAN, ci_low=NAN, ci_high=NAN, n=int(n), k=int(k))
    item_var = float(complete.var(axis=0, ddof=1).sum())
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
        n=int(n),
        k=int(k),
    )
