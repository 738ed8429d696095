"""A person's decision on a text set aside for review.

A text that mentions stopping without clearly asking to ("why do you keep texting
me, stop") is logged as inbound kind ``review``, and until someone decides, no
reminder goes to that person (``under_review`` in the reminder queries) and the
conversation's automatic reminders stay stopped. The decision, once per text:

``stop``
    An opt-out made for them, exactly what their texting STOP does
    (``sms_optouts.record_opt_out``: the number's suppression, every contact row with
    it, revoked consents, queued texts cancelled) and the conversation ended as opted
    out. No confirmation is texted: they did not send the keyword a carrier expects
    an answer to, and a text after a complaint is what they objected to.
``keep``
    The text stops counting as under review: reminders by hand may reach them again,
    under the usual gap and cap. Automatic reminders are not restarted.

Who decided and when stay on the message row and in the audit log; a second
decision is a conflict naming the first, never a silent overwrite.

A contact removed while its text awaited review: the removal decided it "stop" and
opted the number out (``contact_removal``), so a decision after is that conflict. A
text whose contact went before that rule (no number left to opt out) refuses "stop"
with a conflict that says so, rather than answering as if the number were opted out.
"""

from __future__ import annotations

from datetime import datetime

from survey import access
from survey.access import Principal
from survey.db import Conn, fetch_one
from survey.errors import Conflict, InvalidInput, NotFound
from survey.i18n.marks import staff as t
from survey.services import audit, contact_locks
from survey.services import sms_conversations as conversations
from survey.services import sms_optouts as optouts
from survey.sms.conversation import opt_out
from survey.sms_schemas import SmsReviewRow
from survey.sql import Q

__all__ = ["ALREADY_DECIDED", "CONTACT_GONE", "decide"]

ALREADY_DECIDED = t("%(who)s already decided on this text (%(when)s)")
CONTACT_GONE = t(
    "This text's contact was removed, and their phone number with it: no number is "
    "left to opt out"
)
DECISIONS = ("stop", "keep")


async def decide(
    conn: Conn, who: Principal, program_id: int, wave_id: int, message_id: int,
    decision: str, now: datetime,
) -> SmsReviewRow:
    """Record ``decision`` (``stop`` or ``keep``) on one review text of the wave."""
    # It acts on a named person's texting, so it is for those who may see contacts
    # and change the program: grantees and admins, never evaluators.
    access.check(who, program_id, "pii")
    access.check(who, program_id, "write")
    if decision not in DECISIONS:
        raise InvalidInput.one("decision", t("must be stop or keep"))
    # As an inbound text from the number does, before any row lock: the programs that
    # have it (an opt-out touches them all) against their removal, then the number.
    phone = await conn.fetchval(Q.sms_review_phone, program_id, wave_id, message_id)
    await contact_locks.for_phone(conn, phone, (program_id,))
    if phone is not None:
        await conn.execute(Q.sms_lock_phone, phone)
    await fetch_one(conn, Q.wave_get, program_id, wave_id, what="wave")
    row = await conn.fetchrow(Q.sms_review_lock, program_id, wave_id, message_id)
    if row is None:
        raise NotFound("text to review")
    if row["review_decision"] is not None:
        name = await conn.fetchval(Q.sms_user_name, row["reviewed_by"]) or "?"
        raise Conflict(
            ALREADY_DECIDED, who=name,
            when=row["reviewed_at"].isoformat(sep=" ", timespec="minutes"),
        )
    if decision == "stop":
        await _stop(conn, program_id, row["contact_id"], row["conversation_id"], now)
    await conn.execute(
        Q.sms_review_decide, program_id, message_id, decision, now, who.user_id or None
    )
    await audit.record(
        conn, who, f"sms.review.{decision}", program_id=program_id, target=str(message_id),
        wave=wave_id, contact=row["contact_id"],
    )
    out = await fetch_one(conn, Q.sms_wave_review, program_id, wave_id, message_id,
                          what="text to review")
    return SmsReviewRow(**dict(out))


async def _stop(
    conn: Conn, program_id: int, contact_id: int | None, conversation_id: int | None,
    now: datetime,
) -> None:
    """What the person's STOP would have done, without the confirmation text."""
    phone = (
        await conn.fetchval(Q.sms_review_contact_phone, program_id, contact_id)
        if contact_id is not None else None
    )
    if phone is None:
        raise Conflict(CONTACT_GONE)
    await optouts.record_opt_out(conn, phone, optouts.SOURCE_STAFF, now)
    if conversation_id is None:
        return
    conv = await conversations.lock(conn, program_id, conversation_id)
    state = opt_out(await conversations.load_state(conn, conv))
    await conn.execute(
        Q.sms_conversation_save, program_id, conv.id, conversations.state_json(state),
        state.status, state.language, None, None, None, now,
    )
