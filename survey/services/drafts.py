"""What a page holds, kept as a draft: for a resident who switches language mid-page.

Switching language is not sending the page. Nothing is judged complete, no blank is
taken as a skip, and a question typed wrong does not stop the switch: answers that
are valid are stored (and shown again in the new language), the rest are handed back
with their errors for the page to show as typed. A blank question is left as it was
stored, except that clearing a stored answer clears it (as a skip, where allowed).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from survey.db import Conn
from survey.questionnaire import Answer, AnswerError, Questionnaire, effective_answers, evaluate
from survey.questionnaire.answers import Raw
from survey.services import responses, whole
from survey.services.entries import Entry
from survey.services.paging import find_page
from survey.services.responses import Either, PageInput, validate_raw


class Draft(msgspec.Struct, frozen=True, kw_only=True):
    answers: dict[str, Answer]
    """The answers that count now, as stored."""
    errors: dict[str, AnswerError] = {}
    """Typed but not valid: not stored, to be shown as typed."""
    completed: bool = False
    elsewhere: bool = False


def blank(raw: Raw | Either | None) -> bool:
    """Nothing typed or ticked (a ticked "don't know" beside text is not blank)."""
    if raw is None or isinstance(raw, Either):
        return raw is None
    values = [raw] if isinstance(raw, str | int | float) else list(raw)
    return not any(str(value).strip() for value in values)


async def save_page(
    conn: Conn,
    entry: Entry,
    response_id: int,
    q: Questionnaire,
    section_id: str,
    posted: PageInput,
    shown: set[str],
    language: str,
) -> Draft:
    """Keep what one page of the page-by-page survey holds, in ``language`` now."""
    is_open = await responses.lock_open(conn, entry.program_id, response_id, language)
    stored = await responses.load_answers(conn, entry.program_id, response_id)
    if not is_open:
        return Draft(answers=stored, completed=True)
    if find_page(q, stored, section_id) is None:
        return Draft(answers=stored, elsewhere=True)
    merged = dict(stored)
    fresh: dict[str, Answer] = {}
    errors: dict[str, AnswerError] = {}
    for item in q.items:
        if item.section != section_id:
            continue
        if item.show_if is not None and not evaluate(item.show_if, effective_answers(q, merged)):
            merged.pop(item.id, None)
            continue
        if item.id not in shown:
            continue
        raw = posted.get(item.id)
        if blank(raw):
            if item.id in merged and not item.required:
                merged[item.id] = fresh[item.id] = Answer.skipped()
            continue
        try:
            merged[item.id] = fresh[item.id] = validate_raw(item, raw)
        except AnswerError as exc:
            errors[item.id] = exc
    effective = effective_answers(q, merged)
    await responses.store_page(conn, entry.program_id, response_id, stored, fresh, effective)
    return Draft(answers=effective, errors=errors)


def check_whole(
    q: Questionnaire, posted: Mapping[str, Raw | Either]
) -> tuple[dict[str, Answer], dict[str, AnswerError]]:
    """The one-page form's answers worth keeping in a draft, and the typed ones that
    are not valid. Blank questions are neither: not a skip, not "required"."""
    answers, errors = whole.check(q, posted)
    kept = {k: a for k, a in answers.items() if not blank(posted.get(k))}
    return kept, {k: e for k, e in errors.items() if not blank(posted.get(k))}
