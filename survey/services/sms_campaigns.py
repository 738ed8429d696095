"""What a grantee asks for a wave: invite by SMS, start conversations, remind.

Nothing is sent here: texts are queued (in the caller's transaction) and the worker
sends them within quiet hours and the number's rate. Opted-out numbers, people who
completed, people already invited by text, people in the middle of another wave's
conversation and reminders still waiting are skipped and counted apart; asking twice
queues nothing twice. A reminder also waits the reminder gap after the last
invitation or reminder and after the person last texted or answered, so a second
press of the button does not text everyone again, nor interrupt someone answering.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from survey import access
from survey.access import Principal
from survey.db import Conn, Record
from survey.errors import Conflict, InvalidInput
from survey.resources import Resources
from survey.services import audit, contact_locks
from survey.services import sms_conversations as conversations
from survey.services import sms_outbox as outbox
from survey.services import sms_texts as texts
from survey.services.sms_conversations import Target
from survey.services.sms_setup import SmsWave, gettext_for, load_wave, setup_for
from survey.sms.conversation import reminder, start
from survey.sms_schemas import SmsSendIn, SmsSendOut
from survey.sql import Q

__all__ = ["invite_decision", "last_reminded", "send", "sendable_wave"]


async def sendable_wave(
    conn: Conn, program_id: int, wave_id: int, site_id: int | None, now: datetime
) -> SmsWave:
    wave = await load_wave(conn, program_id, wave_id)
    if "sms" not in wave.channels:
        raise InvalidInput.one("channels", "the wave does not use sms")
    if not wave.is_open(now):
        raise Conflict("The wave is not open")
    if site_id is not None and not await conn.fetchval(
        Q.sms_wave_has_site, program_id, wave_id, site_id
    ):
        raise InvalidInput.one("site_id", "is not a site of this wave")
    return wave


async def last_reminded(
    conn: Conn, who: Principal, program_id: int, wave_id: int
) -> datetime | None:
    """When reminders last went out (or were queued) for the wave: a grantee about to
    press "Send reminders" sees whether someone just did."""
    access.check(who, program_id, "write")
    when: datetime | None = await conn.fetchval(Q.sms_wave_last_reminder, program_id, wave_id)
    return when


#: Why a contact is or is not texted by an ``invite`` (the estimate counts the same).
SEND, OPTED_OUT, DONE, INVITED, PENDING = "send", "opted_out", "done", "invited", "pending"
BUSY = "busy"
#: Why a contact is not reminded, beyond the above.
RECENT, ACTIVE, REVIEW, CAPPED = "recent", "active", "review", "capped"


def invite_decision(row: Record, mode: str) -> str:
    """What an ``invite`` does for one row of ``sms-wave-contacts``.

    A contact whose personal link was issued for print or mail, but never texted, is
    texted that same invitation (one response either way). A conversation cannot take
    over a response already begun through the link, so that person is left to it.
    Nor does a conversation start for someone in the middle of another wave's: one
    number answers one conversation at a time (a bare "2" could belong to either),
    so they are left to finish it and an ``invite`` after that reaches them."""
    if row["opted_out"]:
        return OPTED_OUT
    if row["completed"]:
        return DONE
    if row["texted"] or (mode == "conversation" and row["started"]):
        return INVITED
    if mode == "conversation" and row["busy"]:
        return BUSY
    return SEND


async def send(
    conn: Conn,
    who: Principal,
    res: Resources,
    program_id: int,
    wave_id: int,
    data: SmsSendIn,
    *,
    our_number: str,
    now: datetime,
) -> SmsSendOut:
    access.check(who, program_id, "pii")
    # A removal running waits for the send, or the send for it (then skips its contacts).
    await contact_locks.share(conn, (program_id,))
    wave = await sendable_wave(conn, program_id, wave_id, data.site_id, now)
    if wave.sms_mode == "link":
        if data.action == "invite":
            out = await _invite_links(conn, res, wave, data.site_id, now)
        else:
            out = await _remind_links(conn, res, wave, data.site_id, now)
    elif data.action == "invite":
        out = await _start_conversations(conn, res, wave, data.site_id, our_number, now)
    else:
        out = await _remind_conversations(conn, res, wave, data.site_id, now)
    await audit.record(
        conn, who, f"sms.{data.action}", program_id=program_id, target=str(wave_id),
        site=data.site_id, recipients=out.recipients, queued=out.queued,
        skipped_opted_out=out.skipped_opted_out, skipped_done=out.skipped_done,
        skipped_invited=out.skipped_invited, skipped_busy=out.skipped_busy,
        skipped_pending=out.skipped_pending,
        skipped_recent=out.skipped_recent, skipped_active=out.skipped_active,
        skipped_review=out.skipped_review, skipped_capped=out.skipped_capped,
    )
    return out


def _result(
    wave: SmsWave, action: str, recipients: int, queued: int, skipped: Counter[str]
) -> SmsSendOut:
    return SmsSendOut(
        action=action, mode=wave.sms_mode, recipients=recipients, queued=queued,
        skipped_opted_out=skipped[OPTED_OUT], skipped_done=skipped[DONE],
        skipped_invited=skipped[INVITED], skipped_busy=skipped[BUSY],
        skipped_pending=skipped[PENDING],
        skipped_recent=skipped[RECENT], skipped_active=skipped[ACTIVE],
        skipped_review=skipped[REVIEW], skipped_capped=skipped[CAPPED],
    )


def _link(res: Resources, wave: SmsWave, msgid: str, contact_id: int, language: str,
          invitation_id: int | None = None) -> outbox.Outgoing:
    """A personal-link text to queue: the body is made at send time (the token must not
    be stored), but its length is already known, so its segments are too."""
    sample = texts.link_text(
        gettext_for(res, wave, language), msgid, language=language, program=wave.program_name,
        base_url=res.settings.public_base_url, token=texts.placeholder_token(wave.program_id),
    )
    info = texts.segments_of(sample)
    return outbox.Outgoing(
        contact_id=contact_id, body=None, language=language, invitation_id=invitation_id,
        segments=info.segments, encoding=str(info.encoding),
    )


async def _invite_targets(
    conn: Conn, wave: SmsWave, site_id: int | None
) -> tuple[list[Record], Counter[str]]:
    rows = await conn.fetch(Q.sms_wave_contacts, wave.program_id, wave.wave_id, site_id)
    decided = [(r, invite_decision(r, wave.sms_mode)) for r in rows]
    skipped = Counter(d for _, d in decided if d != SEND)
    return [r for r, d in decided if d == SEND], skipped


async def _invite_links(
    conn: Conn, res: Resources, wave: SmsWave, site_id: int | None, now: datetime
) -> SmsSendOut:
    todo, skipped = await _invite_targets(conn, wave, site_id)
    # A contact with an invitation already (a link issued for print or mail) is texted
    # that invitation; the worker gives it a new token, kept beside the mailed one (0020).
    items = [
        _link(res, wave, texts.MSG_LINK_INVITATION, r["id"],
              wave.language_for(r["preferred_language"]), r["invitation_id"])
        for r in todo
    ]
    ids = await outbox.enqueue(conn, wave.program_id, wave.wave_id, "invitation", items,
                               send_at=now)
    return _result(wave, "invite", len(todo), len(ids), skipped)


def _remind_decision(row: Record, most: int) -> str:
    if row["opted_out"]:
        return OPTED_OUT
    if row["completed"]:
        return DONE
    if row["pending"]:
        return PENDING
    if row["under_review"]:
        # They texted something about stopping that a person has to read first.
        return REVIEW
    if row["reminders"] >= most:
        # Texting someone who has not answered again and again reads as pressure, and
        # from a police-partnership program, as being watched.
        return CAPPED
    if row["active"]:
        return ACTIVE
    return RECENT if row["recent"] else SEND


def _remind_since(res: Resources, now: datetime) -> datetime:
    return now - timedelta(hours=res.settings.sms_reminder_gap_hours)


async def _remind_links(
    conn: Conn, res: Resources, wave: SmsWave, site_id: int | None, now: datetime
) -> SmsSendOut:
    rows = await conn.fetch(Q.sms_link_reminder_targets, wave.program_id, wave.wave_id, site_id,
                            _remind_since(res, now))
    decided = [(r, _remind_decision(r, res.settings.sms_reminder_max)) for r in rows]
    todo = [r for r, d in decided if d == SEND]
    items = [
        _link(res, wave, texts.MSG_LINK_REMINDER, r["contact_id"],
              wave.language_for(r["preferred_language"]), r["invitation_id"])
        for r in todo
    ]
    ids = await outbox.enqueue(conn, wave.program_id, wave.wave_id, "link_reminder", items,
                               send_at=now)
    return _result(wave, "remind", len(todo), len(ids), Counter(d for _, d in decided if d != SEND))


async def _start_conversations(
    conn: Conn, res: Resources, wave: SmsWave, site_id: int | None, our_number: str,
    now: datetime,
) -> SmsSendOut:
    todo, skipped = await _invite_targets(conn, wave, site_id)
    setup = await setup_for(conn, res, wave)
    # The rule: a conversation opens with the language menu (when the wave
    # has several languages), whatever the contact list says.
    first = start(setup)
    created = await conversations.create_many(
        conn, wave,
        [Target(r["id"], r["site_id"], r["panel_member_id"], r["invitation_id"]) for r in todo],
        first.state, our_number=our_number, now=now,
    )
    items = [
        outbox.Outgoing.text(contact_id, body, language=first.state.language,
                             conversation_id=conv_id)
        for conv_id, contact_id in created
        for body in first.messages
    ]
    ids = await outbox.enqueue(conn, wave.program_id, wave.wave_id, "conversation", items,
                               send_at=now)
    return _result(wave, "invite", len(created), len(ids), skipped)


async def _remind_conversations(
    conn: Conn, res: Resources, wave: SmsWave, site_id: int | None, now: datetime
) -> SmsSendOut:
    rows = await conn.fetch(
        Q.sms_conversations_to_remind, wave.program_id, wave.wave_id, site_id,
        _remind_since(res, now),
    )
    setup = await setup_for(conn, res, wave)
    recipients = queued = 0
    skipped: Counter[str] = Counter()
    for r in rows:
        decision = _remind_decision(r, res.settings.sms_reminder_max)
        if decision != SEND:
            skipped[decision] += 1
            continue
        conv = await conversations.lock(conn, wave.program_id, r["id"])
        bodies = reminder(setup, await conversations.load_state(conn, conv))
        if not bodies:
            continue
        ids = await outbox.enqueue(
            conn, wave.program_id, wave.wave_id, "reminder",
            [outbox.Outgoing.text(conv.contact_id, b, language=conv.language,
                                  conversation_id=conv.id) for b in bodies],
            send_at=now,
        )
        await conn.execute(Q.sms_conversation_reminded, wave.program_id, conv.id)
        recipients += 1
        queued += len(ids)
    return _result(wave, "remind", recipients, queued, skipped)
