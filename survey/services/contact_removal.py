"""Removing contacts' personal details: one contact, at a resident's request to be
forgotten, or every contact of a closed wave once its fieldwork is over.

What goes: the ``contacts`` row (phone number, panel code, language, consent), its
consent records and text conversations, and every personal link of its invitations.
Texts still waiting to go out to it are canceled. A text of theirs that mentioned
stopping and still awaits a person's decision (``sms_review``) cannot be decided once
the contact is gone, so the removal decides it "stop": the number goes on the opt-out
list, as a staff "stop" would have put it. A person's request to stop is never lost
with the contact. What stays: responses already given,
as de-identified responses (they refer to the invitation, which no longer refers to
anyone, and keep the panel member's pseudonymous id, so pre/post pairing still holds),
the invitations themselves (report counts do not move) and the text log without the
contact. The service-wide opt-out list keeps a number that said STOP: it must be
honoured if the number is uploaded again (0003_sms.sql, 0024_contact_removal.sql).

The audit entry names the contact's id and counts, never the phone number.
"""

from __future__ import annotations

from datetime import UTC, datetime

from survey import access
from survey.access import Principal
from survey.db import Conn, fetch_one
from survey.errors import Conflict, NotFound
from survey.i18n.marks import staff as t
from survey.schemas import ContactsPurgePreviewOut, ContactsRemovedOut
from survey.services import audit, contact_locks
from survey.services import sms_optouts as optouts
from survey.services.contacts import normalize_phone
from survey.sql import Q

ONLY_CLOSED = t("Only a closed wave's contacts can be purged; this wave is %(state)s")

PURGE_PART = 1000
"""Contacts a wave's purge removes per transaction. Each part holds the program's
contacts lock, which every text of the program waits for, a fraction of a second
(``tests/sms_app/test_sms_app_purge_many.py``); a purge in one transaction held it
for as long as the whole purge took, and a text arriving meanwhile could wait past
the 15 s the provider gives a webhook."""


async def _remove(
    conn: Conn, who: Principal, program_id: int, ids: list[int]
) -> ContactsRemovedOut:
    """Remove these contacts (locked first); the caller has checked access and holds
    the program's contacts lock (``_lock``)."""
    locked = [r["id"] for r in await conn.fetch(Q.contact_removal_lock, program_id, ids)]
    if not locked:
        return ContactsRemovedOut(removed=0)
    canceled = await conn.execute(Q.contact_removal_cancel_texts, program_id, locked)
    opted_out = await _stop_pending_reviews(conn, who, program_id, locked)
    await conn.execute(Q.contact_removal_forget_tokens, program_id, locked)
    withdrawn = await conn.execute(Q.contact_removal_withdraw_links, program_id, locked)
    removed = await conn.execute(Q.contact_removal_delete, program_id, locked)
    return ContactsRemovedOut(
        removed=_count(removed), links_withdrawn=_count(withdrawn),
        texts_canceled=_count(canceled), opted_out=opted_out,
    )


async def _stop_pending_reviews(
    conn: Conn, who: Principal, program_id: int, ids: list[int]
) -> int:
    """Opt out the numbers whose texts that mentioned stopping nobody has decided yet,
    and mark those texts decided "stop" by ``who``; how many numbers."""
    phones = [r["phone_e164"] for r in await conn.fetch(
        Q.contact_removal_review_pending, program_id, ids)]
    if not phones:
        return 0
    now = datetime.now(UTC)
    for phone in phones:
        # Held already (``_lock``) unless such a text came in after it looked, before
        # its lock; then out of order, and a deadlock is broken and tried again (503).
        await contact_locks.for_phone(conn, phone)
        await optouts.record_opt_out(conn, phone, optouts.SOURCE_REMOVAL, now)
    await conn.execute(
        Q.contact_removal_decide_reviews, program_id, ids, now, who.user_id or None)
    return len(phones)


async def _lock(conn: Conn, program_id: int, ids: list[int] | None) -> None:
    """The program's contacts lock, exclusive, first of all; with it, shared, those of
    the other programs that its contacts' texts awaiting review (of ``ids``, or of any)
    share a number with, whose contacts the opt-out will touch."""
    others = await conn.fetch(Q.contact_removal_review_programs, program_id, ids)
    await contact_locks.remove(conn, program_id, [r["program_id"] for r in others])


def _count(status: str) -> int:
    """Rows a statement touched, from the status asyncpg returns (its last word)."""
    return int(status.rsplit(" ", 1)[-1])


async def remove_contact(
    conn: Conn, who: Principal, program_id: int, contact_id: int
) -> ContactsRemovedOut:
    """Remove one contact; ``NotFound`` if the program has no such contact."""
    access.check(who, program_id, "pii")
    await _lock(conn, program_id, [contact_id])
    out = await _remove(conn, who, program_id, [contact_id])
    if not out.removed:
        raise NotFound("contact")
    await audit.record(
        conn, who, "contact.remove", program_id=program_id, target=str(contact_id),
        links_withdrawn=out.links_withdrawn, texts_canceled=out.texts_canceled,
        opted_out=out.opted_out,
    )
    return out


async def contact_by_phone(conn: Conn, who: Principal, program_id: int, phone: str) -> int:
    """The id of the program's contact with this number, as a person would write it."""
    access.check(who, program_id, "pii")
    number = normalize_phone(phone)
    found = await conn.fetchval(Q.contact_removal_by_phone, program_id, number) if number else None
    if found is None:
        raise NotFound("contact")
    return int(found)


async def purge_wave(
    conn: Conn, who: Principal, program_id: int, wave_id: int, *, part: int = PURGE_PART
) -> ContactsRemovedOut:
    """Remove the contacts a closed wave invited, but for those another open or draft
    wave may still reach (it invited them, or they are at one of its sites): their
    fieldwork is not over.

    Outside a transaction, each ``part`` contacts are removed in a transaction of
    their own, so texting the program waits for one part at a time (inside one, as
    savepoints of it, they commit together). A purge cut short keeps the parts it
    committed, and running it again removes the rest. The audit trail says so: a
    purge of more than one part is recorded as begun (``contacts.purge.begin``) with
    its first part, and as done (``contacts.purge``, with the counts and parts) with
    its last."""
    access.check(who, program_id, "pii")
    total = ContactsRemovedOut(removed=0)
    after, parts = 0, 0
    while True:
        async with conn.transaction():
            await _lock(conn, program_id, None)
            wave = await fetch_one(conn, Q.wave_get_for_update, program_id, wave_id, what="wave")
            if wave["state"] != "closed":
                raise Conflict(ONLY_CLOSED, state=wave["state"])
            found = await conn.fetch(Q.contact_purge_candidates, program_id, wave_id, after, part)
            parts += 1
            last = len(found) < part
            if parts == 1 and not last:
                await audit.record(
                    conn, who, "contacts.purge.begin", program_id=program_id,
                    target=str(wave_id), part=part,
                )
            _add(total, await _remove(
                conn, who, program_id, [r["id"] for r in found if not r["kept"]]))
            total.kept += sum(1 for r in found if r["kept"])
            if last:
                await audit.record(
                    conn, who, "contacts.purge", program_id=program_id, target=str(wave_id),
                    removed=total.removed, kept=total.kept,
                    links_withdrawn=total.links_withdrawn,
                    texts_canceled=total.texts_canceled, opted_out=total.opted_out,
                    parts=parts,
                )
                return total
        after = found[-1]["id"]


async def purge_preview(
    conn: Conn, who: Principal, program_id: int, wave_id: int
) -> ContactsPurgePreviewOut:
    """What purging the wave now would do: how many contacts it would remove, and how
    many it would keep (as ``purge_wave`` decides), for the page that asks to confirm
    and a script's dry run; refused as the purge is unless the wave is closed."""
    access.check(who, program_id, "pii")
    wave = await fetch_one(conn, Q.wave_get, program_id, wave_id, what="wave")
    if wave["state"] != "closed":
        raise Conflict(ONLY_CLOSED, state=wave["state"])
    found = await conn.fetch(Q.contact_purge_candidates, program_id, wave_id, 0, None)
    kept = sum(1 for r in found if r["kept"])
    return ContactsPurgePreviewOut(remove=len(found) - kept, keep=kept)


def _add(total: ContactsRemovedOut, part: ContactsRemovedOut) -> None:
    total.removed += part.removed
    total.links_withdrawn += part.links_withdrawn
    total.texts_canceled += part.texts_canceled
    total.opted_out += part.opted_out
