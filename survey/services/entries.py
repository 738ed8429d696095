"""Links resolved to what a resident may answer: the wave, site and response behind a
personal token or an open link, and whether the wave takes answers now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import msgspec

from survey import security
from survey.db import Conn, Pool, Record
from survey.errors import Conflict, Gone, NotFound
from survey.questionnaire import Answer, Questionnaire
from survey.services.invitations import split_link
from survey.services.submit_batch import by_program
from survey.services.versions import frozen_questionnaire
from survey.sql import Q

Availability = Literal["open", "not_open", "closed"]

# ``closes_at`` is exclusive: the instant just before it is the last that takes answers.
_JUST_BEFORE = timedelta(microseconds=1)


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """A link resolved to its wave and site, with the response it has (if any)."""

    program_id: int
    wave_id: int
    site_id: int
    invitation_id: int | None
    panel_member_id: int | None
    state: str
    opens_at: datetime | None
    closes_at: datetime | None
    languages: list[str]
    default_language: str
    allow_unreviewed: bool
    questionnaire_hash: str | None
    site_name: str
    timezone: str
    program_name: str
    response_id: int | None
    response_status: str | None
    response_language: str | None
    answers: dict[str, Answer] | None = None
    """The response's answers when the lookup asked for them (``with_answers``)."""
    contact_language: str | None = None
    """A personal link's contact's language, the one they were texted in."""
    idle: float | None = None
    """An open link's response: seconds since its last post (or since it was resumed)."""
    closed_at: datetime | None = None
    """When the wave was closed by hand, if it was."""

    def availability(self, now: datetime) -> Availability:
        if self.state == "closed" or (self.closes_at is not None and now >= self.closes_at):
            return "closed"
        if self.state != "open" or (self.opens_at is not None and now < self.opens_at):
            return "not_open"
        return "open"

    def last_open(self) -> datetime | None:
        """The last instant the wave took answers, for "it closed on …": when it was
        closed by hand if that came first, else just before ``closes_at`` (exclusive,
        so its own day would read one day late)."""
        ends = [self.closes_at - _JUST_BEFORE] if self.closes_at is not None else []
        if self.closed_at is not None:
            ends.append(self.closed_at)
        return min(ends, default=None)

    @property
    def complete(self) -> bool:
        return self.response_status == "complete"


class LinkNotFound(NotFound):
    """No such link: a mistyped, truncated or guessed token or code."""

    code = "link_not_found"

    def __init__(self) -> None:
        super().__init__("survey link")


class WaveNotOpen(Conflict):
    code = "not_open"

    def __init__(self, entry: Entry) -> None:
        super().__init__("This survey is not open yet")
        self.entry = entry


class WaveClosed(Gone):
    code = "closed"

    def __init__(self, entry: Entry) -> None:
        super().__init__("This survey is closed")
        self.entry = entry


def _entry(row: Record, invitation_id: int | None, panel_member_id: int | None) -> Entry:
    return Entry(
        program_id=row["program_id"],
        wave_id=row["wave_id"],
        site_id=row["site_id"],
        invitation_id=invitation_id,
        panel_member_id=panel_member_id,
        state=row["state"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        languages=list(row["languages"]),
        default_language=row["default_language"],
        allow_unreviewed=row["allow_unreviewed"],
        questionnaire_hash=row["questionnaire_hash"],
        site_name=row["site_name"],
        timezone=row["timezone"],
        program_name=row["program_name"],
        response_id=row["response_id"],
        response_status=row["response_status"],
        response_language=row["response_language"],
        answers=_answers_json(row["answers"]) if row["answers"] is not None else None,
        contact_language=row.get("contact_language"),
        idle=row.get("response_idle"),
        closed_at=row["closed_at"],
    )


def _answers_json(rows: list[list[Any]]) -> dict[str, Answer]:
    """Answers as the entry queries aggregate them: [item, num, text, codes, missing]."""
    return {
        item: Answer(
            value_num=float(num) if num is not None else None,
            value_text=text,
            value_codes=list(codes) if codes is not None else None,
            missing=missing,
        )
        for item, num, text, codes, missing in rows
    }


async def personal_entry(conn: Conn, token: str, *, with_answers: bool = False) -> Entry:
    """The invitation behind ``/s/<token>``; ``LinkNotFound`` if there is none."""
    parsed = split_link(token)
    if parsed is None:
        raise LinkNotFound()
    program_id, full = parsed
    row = await conn.fetchrow(
        Q.response_invitation_entry, program_id, security.token_hash(full), with_answers
    )
    if row is None:
        raise LinkNotFound()
    return _entry(row, row["invitation_id"], row["panel_member_id"])


async def personal_entries(conn: Conn, tokens: list[str]) -> list[Entry | None]:
    """The invitations behind many ``/s/<token>`` links (None: no such link), one
    query per program among them, for the one-page form's batched lookups."""
    out: list[Entry | None] = [None] * len(tokens)
    parsed = [(n, key) for n, key in enumerate(map(split_link, tokens)) if key is not None]
    for group in by_program(key[0] for _, key in parsed):
        chosen = [parsed[g] for g in group]
        rows = await conn.fetch(
            Q.response_invitation_entries, [key[0] for _, key in chosen],
            [security.token_hash(key[1]) for _, key in chosen],
        )
        for row in rows:
            out[chosen[row["pos"] - 1][0]] = _entry(
                row, row["invitation_id"], row["panel_member_id"]
            )
    return out


async def open_entry(
    conn: Conn, link: str, resume_key: str | None, *, with_answers: bool = False
) -> Entry:
    """The open link behind ``/o/<program>-<code>`` and the response of this resume key."""
    parsed = split_link(link)
    if parsed is None:
        raise LinkNotFound()
    program_id, full = parsed
    code = full.partition("-")[2]
    key_hash = security.token_hash(resume_key) if resume_key else None
    row = await conn.fetchrow(
        Q.response_open_link_entry, program_id, code, key_hash, with_answers
    )
    if row is None:
        raise LinkNotFound()
    return _entry(row, None, None)


def require_open(entry: Entry, now: datetime) -> None:
    """Raise the page a resident should see when the wave does not take answers now."""
    state = entry.availability(now)
    if state == "closed":
        raise WaveClosed(entry)
    if state == "not_open" or entry.questionnaire_hash is None:
        raise WaveNotOpen(entry)


async def questionnaire_of(conn: Conn | Pool, entry: Entry) -> Questionnaire:
    """The frozen questionnaire version of the entry's wave."""
    if entry.questionnaire_hash is None:
        raise WaveNotOpen(entry)
    return await frozen_questionnaire(conn, entry.questionnaire_hash)
