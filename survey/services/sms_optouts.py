"""Opt-outs (global, by number) and consent records (per program and contact).

An opt-out is for the person's number, not for one program: STOP to our number
stops every program that texts from it (the carrier blocks the pair anyway, and the
FCC treats a revocation as covering the sender). It is recorded in one global
suppression list, mirrored onto every contact row with that number, recorded as a
revoked consent for each of their programs, and cancels their queued texts. The
worker checks the list again right before each send, so nothing slips through.
"""

from __future__ import annotations

from datetime import datetime

from survey.db import Conn, Record
from survey.services import contact_locks
from survey.sql import Q

__all__ = [
    "SOURCE_CARRIER",
    "SOURCE_KEYWORD",
    "SOURCE_PROVIDER",
    "SOURCE_REMOVAL",
    "SOURCE_STAFF",
    "SOURCE_UNFILED",
    "carrier_opt_out",
    "is_suppressed",
    "record_opt_in",
    "record_opt_out",
]

SOURCE_KEYWORD = "sms keyword"
SOURCE_PROVIDER = "provider opt-out"  # Twilio Advanced Opt-Out's OptOutType
SOURCE_CARRIER = "carrier (21610)"  # the provider refused: the number sent STOP to it
SOURCE_STAFF = "staff review"  # a person read a text that mentioned stopping: stop
# The contact was removed while such a text still awaited review: nobody can decide it
# any more, so it is taken as the request it may be (contact_removal).
SOURCE_REMOVAL = "removed awaiting review"
# A text that mentioned stopping from a number no program has as a contact (removed,
# or never ours): there is nothing to file it under for review (sms_inbound).
SOURCE_UNFILED = "unfiled mention of stopping"


async def is_suppressed(conn: Conn, phone: str) -> bool:
    """True when the number opted out and has not opted back in."""
    return bool(await conn.fetchval(Q.sms_opt_out_active, phone))


async def record_opt_out(conn: Conn, phone: str, source: str, now: datetime) -> bool:
    """Record an opt-out everywhere; True if the number was not opted out before."""
    fresh = await conn.fetchval(Q.sms_opt_out_upsert, phone, now, source)
    rows = await conn.fetch(Q.sms_contacts_opt_out, phone, now, source)
    await _consents(conn, rows, "revoked", source, now)
    await conn.execute(Q.sms_cancel_queued_to_phone, phone, "opted out")
    return fresh is not None


async def carrier_opt_out(conn: Conn, program_id: int, phone: str, now: datetime) -> bool:
    """The provider refused a text of the program to the number (it sent STOP to the
    provider): ``record_opt_out``, first in its transaction, after the contacts locks
    of the programs it touches (``contact_locks``; the worker's text waits for a removal
    under way rather than deadlock with it)."""
    await contact_locks.for_phone(conn, phone, (program_id,))
    return await record_opt_out(conn, phone, SOURCE_CARRIER, now)


async def record_opt_in(conn: Conn, phone: str, source: str, now: datetime) -> bool:
    """The number may be texted again (START, UNSTOP, YES after an opt-out)."""
    cleared = await conn.fetchval(Q.sms_opt_in, phone, now, source)
    rows = await conn.fetch(Q.sms_contacts_opt_in, phone, now, source)
    await _consents(conn, rows, "granted", source, now)
    return cleared is not None or bool(rows)


async def _consents(
    conn: Conn, rows: list[Record], status: str, source: str, now: datetime
) -> None:
    if not rows:
        return
    programs = [r["program_id"] for r in rows]
    contacts = [r["id"] for r in rows]
    await conn.execute(Q.sms_consent_insert_many, programs, contacts, status, source, now)
