"""Construct (scale) scores for one respondent.

The rule is the Urban Institute NI rule: reverse-code, then average the items answered,
but only when more than half of the construct's items are answered. Missing answers
(don't know, prefer not, skipped) are left out, never scored as a value; scoring a
missing item as zero is the exact bug that made Urban reissue its six-city brief.
The 0–100 display is POMP, 100·(mean−min)/(max−min), and is labelled as such: it is
not a percentage of people.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from survey.questionnaire.answers import Answer
from survey.questionnaire.model import Construct, LikertItem, Questionnaire


class ConstructScore(msgspec.Struct, frozen=True, kw_only=True):
    construct_id: str
    mean: float
    """Mean on the items' own scale, after reverse-coding."""
    display: float
    """0–100 (POMP)."""
    answered: int
    items: int


def scale_bounds(q: Questionnaire, construct: Construct) -> tuple[float, float]:
    """``(min, max)`` of the construct: explicit, or the ends of its items' points."""
    if construct.min is not None and construct.max is not None:
        return construct.min, construct.max
    values = [
        p.value
        for item_id in construct.items
        for p in getattr(q.item(item_id), "points", [])
    ]
    if not values:
        raise ValueError(f"construct {construct.id} has no scale points and no min/max")
    low = construct.min if construct.min is not None else float(min(values))
    high = construct.max if construct.max is not None else float(max(values))
    return low, high


def enough_answered(answered: int, items: int) -> bool:
    """The "more than half" rule: 2 of 3, 3 of 4, 3 of 5; 1 of 1."""
    return items > 0 and 2 * answered > items


def score_construct(
    q: Questionnaire, construct: Construct, answers: Mapping[str, Answer]
) -> ConstructScore | None:
    """The respondent's score, or ``None`` when too few items were answered."""
    low, high = scale_bounds(q, construct)
    reverse = set(construct.reverse)
    values: list[float] = []
    for item_id in construct.items:
        answer = answers.get(item_id)
        if answer is None or answer.value_num is None:
            continue
        value = answer.value_num
        values.append(low + high - value if item_id in reverse else value)
    if not enough_answered(len(values), len(construct.items)):
        return None
    mean = sum(values) / len(values)
    return ConstructScore(
        construct_id=construct.id,
        mean=mean,
        display=display_score(mean, low, high),
        answered=len(values),
        items=len(construct.items),
    )


def display_score(mean: float, low: float, high: float) -> float:
    """POMP: 0 at the scale floor, 100 at the ceiling."""
    return 100.0 * (mean - low) / (high - low)


def score_all(q: Questionnaire, answers: Mapping[str, Answer]) -> dict[str, ConstructScore | None]:
    """Every construct's score for one respondent, keyed by construct id."""
    return {c.id: score_construct(q, c, answers) for c in q.constructs}


def construct_items(q: Questionnaire, construct: Construct) -> list[LikertItem]:
    return [item for item_id in construct.items if isinstance(item := q.item(item_id), LikertItem)]
