"""The SMS worker's periodic sweeps over conversations (``sms_worker.Worker.sweep``):
close those whose wave has closed, and queue the reminders that are due."""

from __future__ import annotations

from datetime import datetime, timedelta

from survey.db import Conn, Record
from survey.resources import Resources
from survey.services import contact_locks
from survey.services import sms_conversations as conversations
from survey.services import sms_optouts as optouts
from survey.services import sms_outbox as outbox
from survey.services.sms_setup import load_wave, setup_for
from survey.sms.conversation import Step, close, reminder
from survey.sql import Q

__all__ = ["close_conversations", "enqueue_reminders"]


async def close_conversations(
    conn: Conn, now: datetime, reminders: tuple[timedelta, ...], reminder_max: int
) -> int:
    """Close the conversations of waves that closed, and cancel their texts still
    queued; how many conversations."""
    free = await _unless_removing(conn, await conn.fetch(Q.sms_programs_closing, now))
    rows = await conn.fetch(Q.sms_conversations_to_close, now, free)
    for r in rows:
        conv = await conversations.lock(conn, r["program_id"], r["id"])
        wave = await load_wave(conn, conv.program_id, conv.wave_id)
        state = close(await conversations.load_state(conn, conv))
        await conversations.save_step(
            conn, wave, conv, Step(state=state, messages=[]), now=now,
            schedule=reminders, most_reminders=reminder_max, inbound=False,
        )
    await conn.execute(Q.sms_cancel_closed_waves, now, free)
    return len(rows)


async def enqueue_reminders(conn: Conn, res: Resources, now: datetime, reminder_max: int) -> int:
    """Queue the conversation reminders due now; how many conversations got one."""
    due = await conn.fetch(Q.sms_programs_reminders_due, now, reminder_max)
    free = await _unless_removing(conn, due)
    rows = await conn.fetch(Q.sms_reminders_due, now, reminder_max, free)
    count = 0
    for r in rows:
        conv = await conversations.lock(conn, r["program_id"], r["id"])
        wave = await load_wave(conn, conv.program_id, conv.wave_id)
        state = await conversations.load_state(conn, conv)
        bodies = reminder(await setup_for(conn, res, wave), state)
        if not bodies or await optouts.is_suppressed(conn, conv.phone):
            await conn.execute(Q.sms_conversation_no_reminder, conv.program_id, conv.id)
            continue
        await outbox.enqueue(
            conn, conv.program_id, conv.wave_id, "reminder",
            [outbox.Outgoing.text(conv.contact_id, b, language=state.language,
                                  conversation_id=conv.id) for b in bodies],
            send_at=now,
        )
        await conn.execute(Q.sms_conversation_reminded, conv.program_id, conv.id)
        count += 1
    return count


async def _unless_removing(conn: Conn, programs: list[Record]) -> list[int]:
    """Of these programs, those no removal of contacts is running in, their contacts
    locks taken shared (``contact_locks``) before any row lock. Without waiting: the
    worker does not stall behind a purge; those programs wait for the next pass."""
    free = await contact_locks.try_share(conn, [r["program_id"] for r in programs])
    return sorted(free)
