"""The SMS message log, which is also the durable outbound queue.

Why our own table and not pgqueuer: pgqueuer installs and upgrades its own schema
(``pgq install``/``upgrade``, computed from the live catalog), outside our numbered,
checksummed migrations that ``survey serve`` verifies; its tables carry no
``program_id``, against the tenancy rule; and a generic job row would duplicate
what an outbound message row already is. The queue needs only what PostgreSQL
gives directly: row locks that skip rows other workers hold (``SKIP LOCKED``) to
claim, one transaction per state change, and the message row as the job (an
outbox), enqueued in the same transaction as the conversation change that
produced it.

States of an outbound row: ``queued`` -> ``sending`` -> ``sent`` | ``failed``, or
``canceled`` (opted out, wave closed, no recipient). See ``sms_worker`` for the
send protocol and the duplicate rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from survey.db import Conn
from survey.sms.schedule import SendingWindow, check_window
from survey.sms.segments import count_segments
from survey.sql import Q

__all__ = ["Outgoing", "enqueue", "log_inbound", "log_replies", "reschedule"]


class Outgoing(msgspec.Struct, frozen=True, kw_only=True):
    """One text to queue. ``body`` None: composed at send time (personal links)."""

    contact_id: int
    body: str | None
    segments: int
    encoding: str
    language: str | None = None
    conversation_id: int | None = None
    invitation_id: int | None = None

    @classmethod
    def text(cls, contact_id: int, body: str, **kw: object) -> Outgoing:
        info = count_segments(body)
        return cls(
            contact_id=contact_id, body=body, segments=info.segments,
            encoding=str(info.encoding), **kw,  # type: ignore[arg-type]
        )


async def enqueue(
    conn: Conn,
    program_id: int,
    wave_id: int | None,
    kind: str,
    items: Sequence[Outgoing],
    *,
    send_at: datetime,
) -> list[int]:
    """Queue texts in order (ids ascend in the given order, which the worker keeps
    within a conversation)."""
    if not items:
        return []
    rows = await conn.fetch(
        Q.sms_enqueue_many, program_id, kind, wave_id, send_at,
        [i.contact_id for i in items],
        [i.conversation_id for i in items],
        [i.invitation_id for i in items],
        [i.language for i in items],
        [i.body for i in items],
        [i.segments for i in items],
        [i.encoding for i in items],
    )
    return [r["id"] for r in rows]


async def reschedule(
    conn: Conn,
    program_id: int,
    window: SendingWindow,
    *,
    now: datetime,
    default_timezone: str,
) -> int:
    """Move the program's waiting texts to the first instant ``window`` allows, in
    each recipient's zone, by the rule the worker defers them with (``check_window``).

    Called in the transaction that changes the window. A text deferred under the old
    window would otherwise wait for that window's opening: past a wider window's
    start for nothing, or before a narrower one's (the worker's re-check at claim
    stops that send, but the stored time would still be wrong). A retry backoff is
    kept as a floor. The rate per number is left to the worker, which reserves a
    slot only when it sends. Returns how many texts were looked at.
    """
    rows = await conn.fetch(Q.sms_outbox_queued_for_window, program_id)
    ids, times = [], []
    for r in rows:
        base = max(now, r["send_at"]) if r["backing_off"] else now
        ids.append(r["id"])
        times.append(check_window(base, r["timezone"] or default_timezone, window).next_allowed)
    if ids:
        await conn.execute(Q.sms_outbox_reschedule, program_id, ids, times)
    return len(ids)


async def log_inbound(
    conn: Conn,
    program_id: int,
    *,
    kind: str,
    wave_id: int,
    contact_id: int,
    conversation_id: int | None,
    message_sid: str,
    segments: int,
    now: datetime,
) -> None:
    """An inbound text, without its body (what counts in it is stored as an answer)."""
    await conn.execute(
        Q.sms_log_inbound, program_id, kind, wave_id, contact_id, conversation_id,
        message_sid, segments, now,
    )


async def log_replies(
    conn: Conn,
    program_id: int,
    *,
    wave_id: int,
    contact_id: int,
    conversation_id: int,
    language: str | None,
    bodies: Sequence[str],
    now: datetime,
) -> None:
    """Texts sent back inline as TwiML (the provider sends them; no message id here)."""
    for body in bodies:
        info = count_segments(body)
        await conn.execute(
            Q.sms_log_reply, program_id, wave_id, contact_id, conversation_id, language,
            body, info.segments, str(info.encoding), now,
        )
