"""Raking each site × wave to the site's population margins.

Every respondent in a weighting cell (the same answers to the margin items) gets
the same weight, because iterative proportional fitting multiplies weights by one
factor per category. So the report rakes the cells, with each cell's respondent
count as its base weight, and divides back: the weights are exactly those of
raking the respondents one by one with ``analysis.rake`` (the tests check that).

Respondents outside a margin (they skipped the item, preferred not to say, or gave
a category the census does not have, such as a non-binary gender against a two-
category margin) are kept at their sample share for that variable: they form one
extra category whose target is their share of the population, and the margin's
categories are scaled to the rest. Nobody is dropped for being unweightable.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import msgspec
import numpy as np

from analysis import rake
from survey.report.model import SiteWeighting
from survey.report.suppression import SUPPRESS_BELOW, is_suppressed

OUTSIDE = "(outside the margins)"
Margins = Mapping[str, Mapping[str, float]]


class CellWeights(msgspec.Struct, frozen=True, kw_only=True):
    """Weight per respondent for each cell of one site × wave, and how it went."""

    weights: dict[str | None, float]
    status: str
    deff: float | None
    n_eff: float | None
    max_ratio: float | None


def parse_cell(cell: str | None) -> dict[str, str]:
    """'age_band=18_24&gender=woman' → {'age_band': '18_24', 'gender': 'woman'}."""
    if not cell:
        return {}
    return dict(part.split("=", 1) for part in cell.split("&"))


def category(answers: Mapping[str, str], variable: str) -> str | None:
    """The respondent's category of a (possibly joint, 'a*b') variable, or None."""
    codes = [answers.get(item) for item in variable.split("*")]
    if any(code is None for code in codes):
        return None
    return "*".join(code for code in codes if code is not None)


def margin_items(margins: Mapping[int, Margins]) -> list[str]:
    """Every item id the margins of any site refer to, sorted."""
    return sorted(
        {item for site in margins.values() for variable in site for item in variable.split("*")}
    )


def unweighted(cells: Sequence[tuple[str | None, int]], status: str) -> CellWeights:
    return CellWeights(
        weights={cell: 1.0 for cell, _ in cells},
        status=status,
        deff=None,
        n_eff=None,
        max_ratio=None,
    )


def rake_cells(cells: Sequence[tuple[str | None, int]], margins: Margins) -> CellWeights:
    """Rake one site × wave. ``cells`` is (cell key, respondents); weights sum to the population."""
    cells = [(cell, int(count)) for cell, count in cells if count > 0]
    if not cells:
        return unweighted(cells, "no respondents")
    if not margins:
        return unweighted(cells, "no margins")
    counts = np.array([count for _, count in cells], dtype=np.float64)
    answers = [parse_cell(cell) for cell, _ in cells]
    columns: dict[str, list[Hashable]] = {}
    targets: dict[str, dict[Hashable, float]] = {}
    for variable, totals in margins.items():
        known = [category(a, variable) for a in answers]
        column: list[Hashable] = [c if c in totals else OUTSIDE for c in known]
        outside = float(sum(n for c, n in zip(column, counts, strict=True) if c == OUTSIDE))
        share = outside / float(counts.sum())
        if share >= 1.0:
            return unweighted(cells, f"not weighted: nobody answered {variable}")
        population = float(sum(totals.values()))
        target: dict[Hashable, float] = {c: float(v) * (1.0 - share) for c, v in totals.items()}
        if share > 0:
            target[OUTSIDE] = population * share
        columns[variable] = column
        targets[variable] = target
    try:
        raked = rake(columns, targets, base_weights=counts)
    except ValueError as exc:
        return unweighted(cells, f"not weighted: {exc}")
    per_person = raked / counts
    total = float(np.sum(raked))
    squares = float(np.sum(counts * per_person**2))
    n_eff = total**2 / squares
    return CellWeights(
        weights={cell: float(w) for (cell, _), w in zip(cells, per_person, strict=True)},
        status="weighted",
        deff=float(counts.sum()) / n_eff,
        n_eff=n_eff,
        max_ratio=float(per_person.max() / per_person.min()),
    )


# The status of a wave whose raking worked but whose weights were set aside because
# the site's other wave could not be weighted ("pre" or "post" fills the gap).
SET_ASIDE = "not weighted: the {other} wave could not be weighted"


def pair_waves(pre: CellWeights, post: CellWeights) -> tuple[CellWeights, CellWeights]:
    """One site's two waves, weighted both or neither.

    A change between a raked wave and an unraked one would mix two estimands (the
    population's mean against the sample's), so when raking fails in one wave the
    other wave's weights are set aside too and the whole comparison is unweighted.
    """
    if (pre.status == "weighted") == (post.status == "weighted"):
        return pre, post
    if pre.status == "weighted":
        return _set_aside(pre, "post"), post
    return pre, _set_aside(post, "pre")


def _set_aside(cw: CellWeights, other: str) -> CellWeights:
    return CellWeights(
        weights={cell: 1.0 for cell in cw.weights},
        status=SET_ASIDE.format(other=other),
        deff=None,
        n_eff=None,
        max_ratio=None,
    )


def applied(cw: CellWeights | None) -> bool:
    """Whether a site × wave's figures carry raked weights."""
    return cw is not None and cw.status == "weighted"


def site_weighting(
    site_id: int,
    waves: tuple[int, int],
    weights: Mapping[tuple[int, int], CellWeights],
    reported: Mapping[tuple[int, int], bool],
) -> list[SiteWeighting]:
    """The JSON's ``weighting`` of one site: each wave's status and design effect."""
    out = []
    for wave in waves:
        cw = weights.get((site_id, wave))
        if cw is None:
            continue
        if not reported.get((site_id, wave), False):
            # Why raking failed would describe the hidden respondents (which ages are
            # missing), so a suppressed site-wave says nothing more.
            out.append(
                SiteWeighting(
                    wave_id=wave, status="suppressed", deff=None, n_eff=None, max_ratio=None
                )
            )
            continue
        shown = not is_suppressed(cw.n_eff if cw.n_eff is not None else SUPPRESS_BELOW)
        out.append(
            SiteWeighting(
                wave_id=wave,
                status=cw.status,
                deff=cw.deff if shown else None,
                n_eff=cw.n_eff if shown else None,
                max_ratio=cw.max_ratio if shown else None,
            )
        )
    return out
