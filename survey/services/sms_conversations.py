"""SMS conversations in the database: create, lock, load and save the engine's state,
and store each answer as it arrives in the same ``responses``/``answers`` tables as
the web (channel ``sms``).

The engine state is stored without its answers; they are read back from
``answers`` so they exist in one place (a deleted response takes them all). A
conversation owns one invitation (channel ``sms``), and so at most one response.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec

from survey.db import Conn, Record, fetch_one
from survey.services import invitations
from survey.services.responses import load_answers
from survey.services.sms_setup import SmsWave
from survey.sms.conversation import ConversationState, Event, Step
from survey.sql import Q

__all__ = [
    "ACTIVE",
    "Conversation",
    "Target",
    "create_many",
    "load_state",
    "lock",
    "next_reminder",
    "save_step",
    "state_json",
]

#: Statuses in which a conversation waits for the person's reply.
ACTIVE = ("choosing_language", "in_progress")


class Target(msgspec.Struct, frozen=True):
    """A contact to start a conversation with."""

    contact_id: int
    site_id: int
    panel_member_id: int | None
    invitation_id: int | None = None
    """Their invitation to the wave, if one was issued already (a link for print or mail)."""


class Conversation(msgspec.Struct, frozen=True, kw_only=True):
    program_id: int
    id: int
    wave_id: int
    site_id: int
    contact_id: int
    invitation_id: int
    response_id: int | None
    panel_member_id: int | None
    phone: str
    status: str
    language: str | None
    reminders_sent: int
    state: dict[str, Any]
    preferred_language: str | None = None
    """The contact list's language: keyword replies may use it (``reply_language``)."""


def state_json(state: ConversationState) -> dict[str, Any]:
    """The state as stored: without answers (they live in ``answers``)."""
    stored: dict[str, Any] = msgspec.to_builtins(msgspec.structs.replace(state, answers={}))
    return stored


async def create_many(
    conn: Conn,
    wave: SmsWave,
    targets: Sequence[Target],
    state: ConversationState,
    *,
    our_number: str,
    now: datetime,
) -> list[tuple[int, int]]:
    """One conversation per target, on the target's invitation or on a new sms one;
    returns (id, contact_id)."""
    by_site: dict[int, list[Target]] = defaultdict(list)
    contacts: list[int] = []
    sites: list[int] = []
    issued: list[int] = []
    for t in targets:
        if t.invitation_id is None:
            by_site[t.site_id].append(t)
        else:
            contacts.append(t.contact_id)
            sites.append(t.site_id)
            issued.append(t.invitation_id)
    for site_id, group in by_site.items():
        rows = await invitations.store(
            conn, wave.program_id, wave.wave_id, site_id, "sms",
            [(t.contact_id, t.panel_member_id) for t in group],
        )
        # The token is never shown: a conversation needs no link, only the row.
        for (invitation_id, _token, contact_id), _t in zip(rows, group, strict=True):
            assert contact_id is not None
            contacts.append(contact_id)
            sites.append(site_id)
            issued.append(invitation_id)
    rows = await conn.fetch(
        Q.sms_conversation_insert_many, wave.program_id, wave.wave_id, our_number,
        state_json(state), state.status, state.language, now, contacts, sites, issued,
    )
    return [(r["id"], r["contact_id"]) for r in rows]


def _conversation(row: Record) -> Conversation:
    return Conversation(
        program_id=row["program_id"],
        id=row["id"],
        wave_id=row["wave_id"],
        site_id=row["site_id"],
        contact_id=row["contact_id"],
        invitation_id=row["invitation_id"],
        response_id=row["response_id"],
        panel_member_id=row["panel_member_id"],
        phone=row["phone_e164"],
        status=row["status"],
        language=row["language"],
        reminders_sent=row["reminders_sent"],
        state=row["state"],
        preferred_language=row["preferred_language"],
    )


async def lock(conn: Conn, program_id: int, conversation_id: int) -> Conversation:
    """The conversation, locked until the transaction ends, so two texts arriving
    together are handled one after the other."""
    row = await fetch_one(
        conn, Q.sms_conversation_lock, program_id, conversation_id, what="conversation"
    )
    return _conversation(row)


async def load_state(conn: Conn, conv: Conversation) -> ConversationState:
    state = msgspec.convert(conv.state, ConversationState)
    if conv.response_id is None:
        return state
    answers = await load_answers(conn, conv.program_id, conv.response_id)
    return msgspec.structs.replace(state, answers=answers)


def next_reminder(
    status: str, reminders_sent: int, schedule: Sequence[timedelta], after: datetime,
    most: int,
) -> datetime | None:
    """When to remind a silent person next, if at all: at most one per schedule entry,
    and none once they have had ``most`` reminders (automatic and by hand together)."""
    if status not in ACTIVE or reminders_sent >= min(len(schedule), most):
        return None
    return after + schedule[reminders_sent]


async def _response_id(
    conn: Conn, wave: SmsWave, conv: Conversation, language: str, now: datetime
) -> int:
    if conv.response_id is not None:
        return conv.response_id
    assert wave.questionnaire_hash is not None
    found = await conn.fetchval(
        Q.sms_response_start, conv.program_id, conv.wave_id, conv.site_id, conv.invitation_id,
        conv.panel_member_id, language, wave.questionnaire_hash, now,
    )
    if found is None:  # the invitation already has one (it cannot, but never duplicate)
        row = await fetch_one(conn, Q.response_by_invitation, conv.program_id, conv.invitation_id)
        found = row["id"]
    response_id: int = found
    return response_id


async def save_step(
    conn: Conn,
    wave: SmsWave,
    conv: Conversation,
    step: Step,
    *,
    now: datetime,
    schedule: Sequence[timedelta],
    most_reminders: int,
    inbound: bool,
    remind: bool = True,
) -> int | None:
    """Persist one engine step: the answer (creating the response on the first one),
    completion, and the new state. Returns the response id, if any. ``remind=False``
    schedules no reminder (a text that asked us to stop, waiting for a person)."""
    state = step.state
    language = state.language or wave.default_language
    response_id = conv.response_id
    if step.answer is not None or Event.COMPLETED in step.events:
        response_id = await _response_id(conn, wave, conv, language, now)
    if step.answer is not None:
        a = step.answer.answer
        await conn.execute(
            Q.response_answer_upsert, conv.program_id, response_id, step.answer.item_id,
            a.value_num, a.value_text, a.value_codes, a.missing,
        )
    if response_id is not None:
        await conn.execute(Q.response_touch, conv.program_id, response_id, language)
    if Event.COMPLETED in step.events and response_id is not None:
        done = await conn.fetchrow(Q.response_complete, conv.program_id, response_id, language)
        if done is not None and done["invitation_id"] is not None:
            await conn.execute(
                Q.response_invitation_completed, conv.program_id, done["invitation_id"]
            )
    reminder = (
        next_reminder(state.status, conv.reminders_sent, schedule, now, most_reminders)
        if remind else None
    )
    await conn.execute(
        Q.sms_conversation_save, conv.program_id, conv.id, state_json(state), state.status,
        state.language, response_id, reminder, now if inbound else None, now,
    )
    return response_id
