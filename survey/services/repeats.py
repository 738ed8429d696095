"""Is a post to a completed response the same answers again, or other answers?

A completed response is never changed (reports count it as it stands), so a post
that finds its response complete stores nothing. Whether the resident should hear
"thank you" or "not saved" depends on what they sent: a double click or a reload
sends what is stored already; a second tab of the same personal link sends answers
of its own, which are lost, and the resident must be told so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from survey.questionnaire import Answer, AnswerError, Questionnaire
from survey.services.responses import PageInput, validate_raw
from survey.services.whole import check


def same_as_stored(
    q: Questionnaire,
    posted: PageInput,
    stored: Mapping[str, Answer],
    shown: Iterable[str] | None = None,
) -> bool:
    """Whether ``posted`` (the items ``shown`` on one page, or the whole one-page form
    when ``shown`` is None) only repeats ``stored``. A blank answer repeats an item
    the response has no answer for; an answer that would not even be valid is new."""
    if shown is None:
        answers, errors = check(q, posted)
        if errors:
            return False
    else:
        items = {item.id: item for item in q.items}
        answers = {}
        for item_id in shown:
            try:
                answers[item_id] = validate_raw(items[item_id], posted.get(item_id))
            except AnswerError:
                return False
    nothing = Answer.skipped()
    return all(stored.get(item_id, nothing) == answer for item_id, answer in answers.items())
