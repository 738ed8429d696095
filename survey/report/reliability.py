"""Reliability: Cronbach's alpha from sums, per construct, wave and language.

Over the listwise-complete respondents of a construct, alpha needs only each item's
sum, the sum of all squared answers, and the sum of the total score and of its
square. PostgreSQL returns exactly those (sums of whole numbers, so exact), which
keeps a program-wide alpha over a million respondents to a handful of numbers.
The variances are then formed in exact rational arithmetic; the result equals
``analysis.cronbach_alpha`` on the respondent matrix (the report tests check it),
including its Feldt (1987) 95% CI on F(n − 1, (n − 1)(k − 1)).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from fractions import Fraction

from scipy import special

from analysis import CronbachAlpha
from survey.report.aggregate import AlphaSums, ConstructSpec
from survey.report.model import Reliability
from survey.report.suppression import is_caution, is_suppressed, suppress_table

NAN = float("nan")
CI_LEVEL = 0.95
FLAG_BELOW = 0.70
"""The criminology convention for an acceptable alpha (research note §1.3)."""


def _exact(value: float) -> Fraction:
    return Fraction(value)


def alpha_from_sums(sums: AlphaSums, k: int) -> CronbachAlpha:
    """Alpha and its Feldt CI from the sums of ``k`` items over ``sums.n`` respondents."""
    n = sums.n
    if n < 2 or k < 2 or len(sums.items) != k:
        return CronbachAlpha(alpha=NAN, ci_low=NAN, ci_high=NAN, n=n, k=k)
    # n − 1 cancels in the ratio of variances, so the sums of squared deviations do.
    total_ss = _exact(sums.total_squared) - _exact(sums.total) ** 2 / n
    item_ss = (
        _exact(sums.squares) - sum((_exact(v) ** 2 for v in sums.items.values()), Fraction(0)) / n
    )
    if not total_ss > 0:
        return CronbachAlpha(alpha=NAN, ci_low=NAN, ci_high=NAN, n=n, k=k)
    alpha = float(Fraction(k, k - 1) * (1 - item_ss / total_ss))
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
    alpha: Mapping[tuple[str, int, str, int], AlphaSums],
    specs: Sequence[ConstructSpec],
    waves: Sequence[int],
    sites: Collection[int],
) -> list[Reliability]:
    """Alpha per construct × wave, over all languages and then per language.

    ``alpha`` maps (construct, wave, language, site) to its sums. Only ``sites`` count:
    the sites the report compares, so a wave's alpha rests on the respondents its other
    program figures do, not on sites the notes say are left out.
    """
    grouped: dict[tuple[str, int, str | None], AlphaSums] = {}
    for (construct, wave, lang, site), sums in alpha.items():
        if site not in sites:
            continue
        grouped.setdefault((construct, wave, None), AlphaSums()).add(sums)
        grouped.setdefault((construct, wave, lang), AlphaSums()).add(sums)
    by_id = {spec.construct_id: spec for spec in specs}
    order = {spec.construct_id: i for i, spec in enumerate(specs)}
    wave_order = {wave: i for i, wave in enumerate(waves)}
    complement = language_complements(grouped)
    out = []
    for (construct, wave, language), sums in sorted(
        grouped.items(),
        key=lambda kv: (order.get(kv[0][0], 99), wave_order.get(kv[0][1], 9), kv[0][2] or ""),
    ):
        r = alpha_from_sums(sums, len(by_id[construct].items))
        hidden = is_suppressed(r.n) or (construct, wave, language) in complement
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
                caution=not hidden and is_caution(r.n),
                below_flag=not hidden and r.alpha < FLAG_BELOW,
            )
        )
    return out


def language_complements(
    grouped: Mapping[tuple[str, int, str | None], AlphaSums],
) -> set[tuple[str, int, str | None]]:
    """The language rows hidden only so that a suppressed one cannot be had back.

    Each construct × wave publishes its all-languages n beside the per-language ones:
    a row of counts with its total, as a site's row in the fieldwork's language table.
    ``suppress_table`` chooses the complement the same way there (the smallest other
    language), so all languages minus the shown ones never gives a hidden n."""
    lines: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for (construct, wave, language), sums in grouped.items():
        if language is not None:
            lines.setdefault((construct, wave), []).append((language, sums.n))
    out: set[tuple[str, int, str | None]] = set()
    for (construct, wave), cells in lines.items():
        plan = suppress_table([[n for _, n in cells]])
        for (language, n), hidden in zip(cells, plan.cells[0], strict=True):
            if hidden and not is_suppressed(n):
                out.add((construct, wave, language))
    return out
