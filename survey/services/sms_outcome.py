"""The worker's outcome transactions (step 3 of ``sms_worker``), ordered against a
removal of contacts (``contact_locks``).

The text has been handed to the provider already, so its outcome must be recorded
whatever else runs. Each outcome transaction takes its program's contacts lock shared
first, as every SMS path does, but waits for it at most ``LOCK_WAIT`` (worker
connections have no statement_timeout; a purge holds the lock a part at a time, well
under a second each, but one run inside a caller's transaction holds it throughout):

- sent: with the lock, the text row then its conversation's reminder schedule, in
  one transaction. Without it (the wait ran out) or when the server rolls that
  transaction back (a deadlock it broke), each row in a transaction of its own: a
  transaction that locks one row waits for a removal holding it but holds nothing the
  removal waits for, so it cannot deadlock. If even that is rolled back, it is logged
  and the row stays ``sending`` until the lease runs out; it then goes back to the
  queue flagged ``maybe_duplicate`` (the duplicate rule in ``sms_worker``).
- refused because the number opted out with the provider (``carrier_opt_out`` touches
  every program with the number): without the locks in time, the text goes back to
  the queue for ``GIVE_WAY``; the provider refuses it again then, and the opt-out is
  recorded once the removal is over.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from survey import db
from survey.db import Conn
from survey.services import contact_locks
from survey.services import sms_optouts as optouts
from survey.sql import Q

__all__ = ["GIVE_WAY", "LOCK_WAIT", "record_opted_out", "record_sent"]

log = logging.getLogger("survey.sms.worker")

LOCK_WAIT = "5s"
GIVE_WAY = timedelta(seconds=5)  # a text's wait while its contact is being removed


def _gave_way(exc: BaseException) -> bool:
    return db.lock_not_available(exc) or db.transient(exc)


async def record_sent(
    conn: Conn, program_id: int, message_id: int, conversation_id: int | None,
    sid: str, now: datetime, reminders: list[timedelta], reminder_max: int,
) -> bool:
    """Mark the text sent and, for a conversation's text (``conversation_id``),
    schedule its reminder. False when it could not be recorded (logged)."""
    try:
        async with conn.transaction():
            await conn.execute(Q.lock_wait, LOCK_WAIT)
            await contact_locks.share(conn, (program_id,))
            await _sent(conn, program_id, message_id, conversation_id, sid, now,
                        reminders, reminder_max)
        return True
    except Exception as exc:
        if not _gave_way(exc):
            raise
        log.warning("sms outcome gave way to a removal; recording it row by row",
                    extra={"error": type(exc).__name__, "message_id": message_id})
    try:
        async with conn.transaction():
            await _sent(conn, program_id, message_id, None, sid, now, reminders, reminder_max)
        if conversation_id is not None:
            async with conn.transaction():
                await _sent(conn, program_id, None, conversation_id, sid, now,
                            reminders, reminder_max)
        return True
    except Exception as exc:
        if not db.transient(exc):
            raise
        log.warning("sms outcome rolled back; the lease will re-queue the text",
                    extra={"error": type(exc).__name__, "message_id": message_id})
        return False


async def _sent(
    conn: Conn, program_id: int, message_id: int | None, conversation_id: int | None,
    sid: str, now: datetime, reminders: list[timedelta], reminder_max: int,
) -> None:
    if message_id is not None:
        await conn.execute(Q.sms_outbox_sent, program_id, message_id, sid, now)
    if conversation_id is not None:
        await conn.execute(
            Q.sms_conversation_sent, program_id, conversation_id, now, reminders, reminder_max)


async def record_opted_out(
    conn: Conn, program_id: int, message_id: int, phone: str, now: datetime,
    error: str, code: int | None,
) -> bool:
    """The provider refused the text: the number opted out with it. Record the opt-out
    and fail the text; False when the text was put back for ``GIVE_WAY`` instead."""
    try:
        async with conn.transaction():
            await conn.execute(Q.lock_wait, LOCK_WAIT)
            await optouts.carrier_opt_out(conn, program_id, phone, now)
            await conn.execute(Q.sms_outbox_fail, program_id, message_id, error, code)
        return True
    except Exception as exc:
        if not _gave_way(exc):
            raise
        log.warning("sms opt-out gave way to a removal; the text waits",
                    extra={"error": type(exc).__name__, "message_id": message_id})
    async with conn.transaction():
        await conn.execute(
            Q.sms_outbox_retry, program_id, message_id, now + GIVE_WAY, error, code, False)
    return False
