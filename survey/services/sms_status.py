"""Delivery status callbacks, and the message counts a grantee can read.

The callback URL names our message (``/sms/status?p=<program>&m=<id>``); the
provider signs that URL with the form, so the ids are as trustworthy as the rest,
and the lookup goes to one program's rows. Callbacks can arrive out of order and
even before the worker has recorded the provider's id: the furthest status wins
(``status_rank``) and a missing provider id is filled in.
"""

from __future__ import annotations

from datetime import datetime

from survey import access
from survey.access import Principal
from survey.db import Conn, fetch_one
from survey.services import contact_locks
from survey.services import sms_optouts as optouts
from survey.services.contacts import normalize_phone
from survey.sms.sender import ERROR_UNSUBSCRIBED
from survey.sms.webhooks import StatusCallback, status_rank
from survey.sms_schemas import SmsReviewRow, SmsSummaryRow
from survey.sql import Q

__all__ = ["SENT_STATUSES", "record_status", "summary"]

#: Statuses that mean the text left the provider (an invitation counts as sent).
SENT_STATUSES = frozenset({"sent", "delivered", "read", "partially_delivered"})


async def record_status(
    conn: Conn, program_id: int, message_id: int, cb: StatusCallback, now: datetime
) -> bool:
    """Apply one callback; False if the message is unknown (nothing to do)."""
    # Before any row lock, as an inbound text does: the programs of the number (an
    # opt-out touches them all) and this one, against their contacts' removal.
    phone = await conn.fetchval(Q.sms_status_phone, program_id, message_id)
    await contact_locks.for_phone(conn, phone, (program_id,))
    row = await conn.fetchrow(Q.sms_status_lock, program_id, message_id)
    if row is None:
        return False
    current = row["delivery_status"]
    if current is None or status_rank(cb.message_status) > status_rank(current):
        await conn.execute(
            Q.sms_status_update, program_id, message_id, cb.message_status, cb.error_code,
            cb.message_sid, now,
        )
    if cb.message_status in SENT_STATUSES and row["invitation_id"] is not None:
        await conn.execute(Q.sms_invitation_sent, program_id, row["invitation_id"], now)
    if cb.error_code == ERROR_UNSUBSCRIBED:
        # A removed contact's number is gone with them (NULL here), but the carrier's
        # opt-out must not be: the signed callback's own To number says whose it is.
        phone = row["phone_e164"] or (cb.to if normalize_phone(cb.to) == cb.to else None)
        if phone is not None:
            await optouts.record_opt_out(conn, phone, optouts.SOURCE_CARRIER, now)
    return True


async def summary(
    conn: Conn, who: Principal, program_id: int, wave_id: int
) -> list[SmsSummaryRow]:
    """Texts of a wave by direction, kind, queue state and delivery status.

    For those running fieldwork (grantees, admins), like the monitor's SMS figures: the
    counts are wave-wide and unsuppressed, withheld sites included, and count opt-outs
    and texts set aside for review, which evaluators get only as the report suppresses
    them."""
    access.check(who, program_id, "write")
    await fetch_one(conn, Q.wave_get, program_id, wave_id, what="wave")
    rows = await conn.fetch(Q.sms_wave_summary, program_id, wave_id)
    return [
        SmsSummaryRow(
            direction=r["direction"], kind=r["kind"], state=r["state"],
            delivery_status=r["delivery_status"], messages=r["messages"],
            segments=r["segments"],
        )
        for r in rows
    ]


async def review(
    conn: Conn, who: Principal, program_id: int, wave_id: int
) -> list[SmsReviewRow]:
    """Inbound texts of a wave that mentioned stopping, for a person to review (and
    those already decided, with the decision: ``sms_review.decide``). Names contacts,
    so it is for those who may see them (not evaluators)."""
    access.check(who, program_id, "pii")
    await fetch_one(conn, Q.wave_get, program_id, wave_id, what="wave")
    rows = await conn.fetch(Q.sms_wave_review, program_id, wave_id, None)
    return [SmsReviewRow(**dict(r)) for r in rows]
