"""Respondents' responses: find a link, start, save a page, complete.

Use cases of the web survey, free of HTTP. The caller owns the transaction (one per
request), so everything a call writes commits together before the respondent hears
"received". Integrity lives in the database: one response per invitation (unique key),
answers keyed by (program, response, item) and upserted, and completion as a
conditional UPDATE, so a double click or a retry can never duplicate anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import msgspec

from survey import security
from survey.db import Conn, Record
from survey.errors import N_
from survey.questionnaire import (
    Answer,
    AnswerError,
    Item,
    MultiChoiceItem,
    Questionnaire,
    effective_answers,
    evaluate,
    validate_answer,
)
from survey.questionnaire.answers import MSG_EXCLUSIVE, Raw, any_answered
from survey.services.entries import Entry, LinkNotFound
from survey.services.paging import find_page, section_after
from survey.sql import Q

#: Two completes from one client (address and browser) within this window are flagged.
DUPLICATE_WINDOW = timedelta(hours=24)

MSG_EITHER = N_("Please either type an answer or choose “%(option)s”, not both.")

async def start_personal(conn: Conn, entry: Entry, language: str) -> int:
    """The invitation's response, created now if it has none (race-safe)."""
    assert entry.invitation_id is not None and entry.questionnaire_hash is not None
    row = await conn.fetchrow(
        Q.response_start_personal, entry.program_id, entry.wave_id, entry.site_id,
        entry.invitation_id, entry.panel_member_id, language, entry.questionnaire_hash,
    )
    if row is None:
        row = await conn.fetchrow(Q.response_by_invitation, entry.program_id, entry.invitation_id)
        assert row is not None
    response_id: int = row["id"]
    return response_id


async def start_open(conn: Conn, entry: Entry, language: str, resume_key: str) -> int:
    """A new response through an open link; ``resume_key`` (kept by the client) finds it."""
    assert entry.questionnaire_hash is not None
    row = await conn.fetchrow(
        Q.response_start_open, entry.program_id, entry.wave_id, entry.site_id, language,
        entry.questionnaire_hash, security.token_hash(resume_key),
    )
    assert row is not None
    response_id: int = row["id"]
    return response_id


def _answer(row: Record) -> Answer:
    codes = row["value_codes"]
    return Answer(
        value_num=row["value_num"],
        value_text=row["value_text"],
        value_codes=list(codes) if codes is not None else None,
        missing=row["missing"],
    )


async def load_answers(conn: Conn, program_id: int, response_id: int) -> dict[str, Answer]:
    rows = await conn.fetch(Q.response_answers, program_id, response_id)
    return {r["item_id"]: _answer(r) for r in rows}


class SaveResult(msgspec.Struct, frozen=True, kw_only=True):
    """What happened to a posted page, for the caller to render or redirect."""

    answers: dict[str, Answer]
    """The answers that count now (visible items only)."""
    errors: dict[str, AnswerError] = {}
    stay: bool = False
    """New questions appeared on this page (skip logic); show it again."""
    next_section: str | None = None
    completed: bool = False
    """The response is complete (now, or already by an earlier identical post)."""
    already: bool = False
    """It was complete before this post, which stored nothing (``answers`` are the
    stored ones): a double click, or another tab."""
    elsewhere: bool = False
    """The page is not one the respondent may answer now; nothing was stored."""
    empty: bool = False
    """The last page was sent with nothing answered anywhere; nothing was stored."""


class Either(msgspec.Struct, frozen=True):
    """Raw input that both typed an answer (``text``) and ticked a missing option."""

    code: str
    text: str


PageInput = Mapping[str, "Raw | Either"]


def validate_raw(item: Item, raw: Raw | Either) -> Answer:
    # Codes, not labels, in the errors: the web layer shows labels in the reader's language.
    if isinstance(raw, Either):
        raise AnswerError(item.id, MSG_EITHER, option=raw.code)
    if isinstance(item, MultiChoiceItem) and isinstance(raw, list) and len(raw) > 1:
        ticked = [code for code in item.missing if code in raw]
        if ticked:
            # "Prefer not to say" stands alone, like an exclusive option.
            raise AnswerError(item.id, MSG_EXCLUSIVE, option=ticked[0])
    return validate_answer(item, raw)


async def mark_resumed(conn: Conn, entry: Entry, language: str) -> None:
    """The owner of an idle open-link response chose to continue it: it is theirs, and
    active, again (``Entry.idle`` starts anew)."""
    assert entry.response_id is not None
    await conn.execute(Q.response_touch, entry.program_id, entry.response_id, language)


async def lock_open(conn: Conn, program_id: int, response_id: int, language: str) -> bool:
    """Lock the response for this post; True if it is still open (its language and time
    recorded too), False if it is complete. ``LinkNotFound`` if it is gone."""
    # The usual case, an open response, locks and touches it in one statement.
    if await conn.fetchrow(Q.response_lock_touch, program_id, response_id, language):
        return True
    if await conn.fetchrow(Q.response_lock, program_id, response_id) is None:
        raise LinkNotFound()
    return False  # the touch leaves complete responses alone


def answer_rows(
    program_id: int, response_id: int, answers: Mapping[str, Answer]
) -> list[tuple[object, ...]]:
    """Parameters of ``Q.response_answer_upsert``, one tuple per answer."""
    return [
        (program_id, response_id, item_id, a.value_num, a.value_text, a.value_codes, a.missing)
        for item_id, a in answers.items()
    ]


async def store_page(
    conn: Conn,
    program_id: int,
    response_id: int,
    stored: Mapping[str, Answer],
    fresh: Mapping[str, Answer],
    effective: Mapping[str, Answer],
) -> None:
    """Write a page's new answers that still count, and drop the stored ones a changed
    answer hid (skip logic), so the database holds ``effective``."""
    rows = answer_rows(program_id, response_id,
                       {k: a for k, a in fresh.items() if k in effective})
    if rows:
        # One round trip for the whole page: executemany pipelines the rows.
        await conn.executemany(Q.response_answer_upsert, rows)
    if set(stored) - set(effective):
        await conn.execute(Q.response_answers_keep_only, program_id, response_id,
                           sorted(effective))


async def save_page(
    conn: Conn,
    entry: Entry,
    response_id: int,
    q: Questionnaire,
    section_id: str,
    posted: PageInput,
    shown: set[str],
    language: str,
    *,
    client_fingerprint: bytes | None = None,
) -> SaveResult:
    """Validate and store one page's answers, then say where to go next.

    ``shown`` are the items the page displayed; a visible item that was not displayed
    (made visible by an answer on this very page) is not judged from silence but
    shown next. Valid answers are stored even when another one on the page is not,
    so nothing typed is lost. Completing is idempotent.
    """
    is_open = await lock_open(conn, entry.program_id, response_id, language)
    # Read after the lock: a concurrent post of this response has committed by now.
    stored = await load_answers(conn, entry.program_id, response_id)
    if not is_open:
        return SaveResult(answers=stored, completed=True, already=True)
    if find_page(q, stored, section_id) is None:
        return SaveResult(answers=stored, elsewhere=True)
    merged = dict(stored)
    fresh: dict[str, Answer] = {}
    errors: dict[str, AnswerError] = {}
    unseen = False
    for item in q.items:
        if item.section != section_id:
            continue
        # Conditions only look back, so the answers so far decide this item's fate.
        if item.show_if is not None and not evaluate(item.show_if, effective_answers(q, merged)):
            merged.pop(item.id, None)
            continue
        if item.id not in shown:
            unseen = unseen or item.id not in merged
            continue
        try:
            answer = validate_raw(item, posted.get(item.id))
        except AnswerError as exc:
            errors[item.id] = exc
            continue
        merged[item.id] = fresh[item.id] = answer
    effective = effective_answers(q, merged)
    following = None if errors or unseen else section_after(q, effective, section_id)
    if not errors and not unseen and following is None and not any_answered(effective.values()):
        # Completing it would count a blank form against the site's target sample.
        return SaveResult(answers=effective, empty=True)
    await store_page(conn, entry.program_id, response_id, stored, fresh, effective)
    if errors or unseen:
        return SaveResult(answers=effective, errors=errors, stay=unseen and not errors)
    if following is not None:
        return SaveResult(answers=effective, next_section=following)
    await complete(conn, entry, response_id, language, client_fingerprint=client_fingerprint)
    return SaveResult(answers=effective, completed=True)


async def complete(
    conn: Conn,
    entry: Entry,
    response_id: int,
    language: str,
    *,
    client_fingerprint: bytes | None = None,
) -> bool:
    """Mark the response complete; False if it already was (a retry)."""
    done = await conn.fetchrow(Q.response_complete, entry.program_id, response_id, language)
    if done is None:
        return False
    if done["invitation_id"] is not None:
        await conn.execute(Q.response_invitation_completed, entry.program_id, done["invitation_id"])
    if client_fingerprint is not None:
        await conn.execute(
            Q.response_open_clients_prune, entry.program_id, entry.wave_id, DUPLICATE_WINDOW
        )
        completes = await conn.fetchval(
            Q.response_open_client_complete, entry.program_id, entry.wave_id, client_fingerprint
        )
        if completes > 1:
            # Flag, never drop: a family sharing one phone is not fraud.
            await conn.execute(Q.response_flag_duplicate, entry.program_id, response_id)
    return True
