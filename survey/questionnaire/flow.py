"""Server-side skip logic and paging: which items a respondent sees, in which order.

The web form and the SMS conversation both call these with the answers so far, so the
two modes can never disagree about what was asked. An answer to an item that is hidden
counts as absent for every later condition, so a change of an early answer hides the
whole dependent chain.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import msgspec

from survey.questionnaire.answers import Answer
from survey.questionnaire.model import (
    Condition,
    Item,
    LikertItem,
    MultiChoiceItem,
    NumberItem,
    Questionnaire,
    Section,
    SingleChoiceItem,
    TextItem,
)

Answers = Mapping[str, Answer]


class Page(msgspec.Struct, frozen=True, kw_only=True):
    """One web page: a section and the items of it that are currently visible."""

    section: Section
    items: list[Item]
    number: int
    """1-based position among the pages that have visible items."""


def _matches(value: str | float, answer: Answer) -> bool:
    if answer.value_codes is not None:
        return isinstance(value, str) and value in answer.value_codes
    if answer.value_num is not None:
        if isinstance(value, str):
            try:
                return float(value) == answer.value_num
            except ValueError:
                return False
        return float(value) == answer.value_num
    if answer.value_text is not None:
        return isinstance(value, str) and value == answer.value_text
    return False


def evaluate(condition: Condition, answers: Answers) -> bool:
    """Whether ``condition`` holds for ``answers`` (item id → Answer of a visible item)."""
    if condition.all is not None:
        return all(evaluate(c, answers) for c in condition.all)
    if condition.any is not None:
        return any(evaluate(c, answers) for c in condition.any)
    if condition.not_ is not None:
        return not evaluate(condition.not_, answers)
    answer = answers.get(condition.item or "")
    if condition.answered is not None:
        given = answer is not None and not answer.is_missing
        return given is condition.answered
    if answer is None or answer.is_missing:
        return False
    if condition.equals is not None and not _matches(condition.equals, answer):
        return False
    if condition.in_ is not None and not any(_matches(v, answer) for v in condition.in_):
        return False
    if condition.not_in is not None and any(_matches(v, answer) for v in condition.not_in):
        return False
    if condition.min is not None or condition.max is not None:
        if answer.value_num is None:
            return False
        if condition.min is not None and answer.value_num < condition.min:
            return False
        if condition.max is not None and answer.value_num > condition.max:
            return False
    return True


def visible_items(
    q: Questionnaire, answers: Answers, *, section: str | None = None
) -> list[Item]:
    """Items to show, in order, given the answers so far (optionally one section's)."""
    seen: dict[str, Answer] = {}
    shown: list[Item] = []
    for item in q.items:
        if item.show_if is None or evaluate(item.show_if, seen):
            if item.id in answers:
                seen[item.id] = answers[item.id]
            if section is None or item.section == section:
                shown.append(item)
    return shown


def effective_answers(q: Questionnaire, answers: Answers) -> dict[str, Answer]:
    """The answers that count: those to visible items. Answers to items a later change
    made hidden are dropped, which is what should be stored and scored."""
    visible = {item.id for item in visible_items(q, answers)}
    return {item_id: a for item_id, a in answers.items() if item_id in visible}


def pages(q: Questionnaire, answers: Answers) -> list[Page]:
    """Web pages: one per section with at least one visible item, in section order."""
    # One pass over the items, not one per section: pages are computed several times
    # for every request of the web survey.
    by_section: dict[str, list[Item]] = {}
    for item in visible_items(q, answers):
        by_section.setdefault(item.section, []).append(item)
    out: list[Page] = []
    for section in q.sections:
        items = by_section.get(section.id)
        if items:
            out.append(Page(section=section, items=items, number=len(out) + 1))
    return out


def next_item(q: Questionnaire, answers: Answers) -> Item | None:
    """The first visible item without an answer (``skipped`` counts as an answer);
    ``None`` when the questionnaire is finished. The SMS conversation walks this."""
    for item in visible_items(q, answers):
        if item.id not in answers:
            return item
    return None


def progress(q: Questionnaire, answers: Answers) -> tuple[int, int]:
    """``(answered, visible)`` item counts, for a progress indicator."""
    visible = visible_items(q, answers)
    return sum(1 for item in visible if item.id in answers), len(visible)


# Reading at 200 words a minute plus time to answer; a worst case (every gated item shown),
# so the "at most 10 minutes on the web" promise holds for everyone.
_WORDS_PER_SECOND = 200 / 60
_ANSWER_SECONDS = {LikertItem: 3.0, SingleChoiceItem: 4.0, MultiChoiceItem: 6.0,
                   NumberItem: 8.0, TextItem: 45.0}


def estimated_minutes(q: Questionnaire) -> float:
    """Worst-case web completion time: every item shown, a scale read once per page."""
    words = sum(len(text.split()) for text in (q.intro, q.consent))
    seconds = 0.0
    read_scales: set[tuple[str, str]] = set()
    for item in q.items:
        words += len(item.prompt.split()) + len(item.help.split())
        if isinstance(item, LikertItem):
            key = (item.section, item.scale or item.id)
            if key not in read_scales:
                read_scales.add(key)
                words += sum(len(p.label.split()) for p in item.points)
        elif isinstance(item, SingleChoiceItem | MultiChoiceItem):
            words += sum(len(o.label.split()) for o in item.options)
        seconds += _ANSWER_SECONDS[type(item)]
    return (seconds + words / _WORDS_PER_SECOND) / 60


def minutes_to_say(q: Questionnaire) -> int:
    """The one duration residents and staff are told ("about N minutes"): the estimate
    rounded to whole minutes, at least one. The landing page, the flyer and
    ``survey questionnaire validate`` all say this number, so they cannot disagree."""
    return max(1, math.floor(estimated_minutes(q) + 0.5))
