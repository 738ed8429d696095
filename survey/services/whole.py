"""A whole response in one submission: the one-page form of the web survey.

The page-by-page survey stores each section as it goes, which suits a phone on a
weak connection. The one-page form (``/s/<token>/all``) is the paper questionnaire
on the web: every question at once, sent once. Conditional questions are on the page
too, marked as such; their answers count only when the answers before them make the
question apply, exactly as ``save_page`` would have shown it.

``check`` judges a whole posted form; ``store`` writes a checked response in the
caller's transaction (a response already started page by page, an open link, or a
retry); ``survey.services.submit_batch`` writes fresh personal-link responses many
to a commit.
"""

from __future__ import annotations

from collections.abc import Mapping

from survey.db import Conn
from survey.questionnaire import Answer, AnswerError, Questionnaire, evaluate
from survey.questionnaire.answers import Raw
from survey.services import responses
from survey.services.entries import Entry
from survey.services.responses import Either, validate_raw
from survey.sql import Q


def check(
    q: Questionnaire, posted: Mapping[str, Raw | Either]
) -> tuple[dict[str, Answer], dict[str, AnswerError]]:
    """The answers that count, and the errors, of a whole posted questionnaire.

    Items are judged in order. Conditions only look back, so once an item is judged
    visible or not from the answers before it, nothing after it can change that:
    ``answers`` holds exactly the effective answers without a second pass. A required
    question that applies (its condition holds) but was left blank is an error, as it
    would be on its own page.
    """
    answers: dict[str, Answer] = {}
    errors: dict[str, AnswerError] = {}
    for item in q.items:
        if item.show_if is not None and not evaluate(item.show_if, answers):
            continue
        try:
            answers[item.id] = validate_raw(item, posted.get(item.id))
        except AnswerError as exc:
            errors[item.id] = exc
    return answers, errors


async def store(
    conn: Conn,
    entry: Entry,
    answers: Mapping[str, Answer],
    language: str,
    *,
    complete: bool,
    resume_key: str | None = None,
    client_fingerprint: bytes | None = None,
) -> int | None:
    """Store ``answers`` as the link's response (started now if it has none) in the
    caller's transaction, and complete it if ``complete``; the response id, or None
    when the response was already complete (a second tab, a double post): nothing is
    changed then, since a completed response is counted in reports as it stands.

    A completing store replaces what was stored: the one-page form showed every
    answer, so one the resident cleared there is cleared here too.
    """
    response_id = entry.response_id
    if response_id is None:
        if entry.invitation_id is not None:
            response_id = await responses.start_personal(conn, entry, language)
        else:
            response_id = await responses.start_open(conn, entry, language, resume_key or "")
    if not await responses.lock_open(conn, entry.program_id, response_id, language):
        return None
    rows = responses.answer_rows(entry.program_id, response_id, answers)
    if rows:
        await conn.executemany(Q.response_answer_upsert, rows)
    if complete:
        # Only now: a form sent back with errors keeps what was stored for the
        # questions it could not take.
        await conn.execute(
            Q.response_answers_keep_only, entry.program_id, response_id, sorted(answers)
        )
        await responses.complete(
            conn, entry, response_id, language, client_fingerprint=client_fingerprint
        )
    return response_id
