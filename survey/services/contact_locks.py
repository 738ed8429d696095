"""One lock per program orders removing its contacts against texting them.

A removal (``contact_removal``: one contact, or a closed wave's) takes its program's
contacts lock exclusive before any row lock. Every SMS path that may lock or refer to
a contact, conversation or text of a program (an inbound text, a review decision, a
status callback, "Send invitations", the worker's sweeps) takes the same lock shared,
first in its transaction: shared locks never wait on each other, so texting goes on
as before, and a removal waits for those under way, which then wait for it and find
the contacts gone. Without it each pair locked the same rows in opposite orders and
deadlocked. Several programs' locks are taken in ascending order. The SQL is in
``contact_removal.sql``.

A removal opting out a number (its text awaiting review, ``contact_removal``) touches
the number's contacts in other programs too, so it takes their locks shared, with its
own, in that order; it learns which before taking any.

The worker's sweeps do not wait: they leave a program being purged for their next
pass. The worker's send path claims a text before it knows the program, so it gives
way to a removal holding the contact instead (``sms_worker``); recording a text's
outcome waits for the lock a bounded time, then records it without it, a row per
transaction (``sms_outcome``). A contacts upload takes it shared too (``contacts``).
"""

from __future__ import annotations

from collections.abc import Iterable

from survey.db import Conn
from survey.sql import Q

__all__ = ["for_phone", "remove", "share", "try_share"]


async def remove(conn: Conn, program_id: int, others: Iterable[int] = ()) -> None:
    """Exclusive: nothing of the program is texted until the transaction ends; and
    shared, for ``others`` whose contacts the removal will touch too (a number's
    opt-out), all in ascending order, like every path that takes several."""
    for pid in sorted(set(others) | {program_id}):
        if pid == program_id:
            await conn.execute(Q.contact_removal_lock_program, program_id)
        else:
            await share(conn, (pid,))


async def share(conn: Conn, program_ids: Iterable[int]) -> None:
    """Shared, for each program (waits while one's removal runs)."""
    await conn.execute(Q.contact_share_programs, sorted(set(program_ids)))


async def for_phone(conn: Conn, phone: str | None, also: Iterable[int] = ()) -> None:
    """Shared, for every program with this number as a contact, and ``also``."""
    if phone is None:
        await share(conn, also)
        return
    await conn.execute(Q.contact_share_phone_programs, phone, sorted(set(also)))


async def try_share(conn: Conn, program_ids: Iterable[int]) -> set[int]:
    """Shared, without waiting, for those programs whose removal is not running."""
    rows = await conn.fetch(Q.contact_try_share_programs, sorted(set(program_ids)))
    return {int(r["id"]) for r in rows}
