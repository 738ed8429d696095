"""An inbound text, end to end: deduplicate, route, run the conversation, persist.

Everything happens in the caller's one transaction, keyed by the provider's
``MessageSid``: the receipt row, the answer, the conversation state, opt-outs and
the message log commit together or not at all, so a provider retry (same
MessageSid) changes nothing and gets the same replies back.

Routing: of a number's conversations going on, the one that texted it last, if its
wave is open; else a new conversation if the number is a contact of a site in an
open conversational SMS wave and either has never been in a conversation (they
texted us first) or was invited to that wave; else that conversation going on whose
wave has closed since, or the latest (which answer "this survey has closed": a reply
to a closed wave's question is never stored as the answer to another wave's; when
another conversation of the number waits in an open wave, the same reply asks its
question again, so the next "2" answers what the person just read). A
number we have no conversation for can still opt out or back in; it gets no reply.

A text that mentions stopping but is not a clear request (see ``keywords``) is
logged as kind ``review`` for a person (``GET …/sms/review``) and stops the
conversation's reminders (the engine's ``Event.REVIEW``). It is filed under the
conversation's wave while that is open; otherwise under the open wave that texted
the number last (a link sent after a closed wave's conversation), where someone
looks, and the same for a number with no conversation at all. A text with nowhere to
be filed (no open wave texted the number: a removed contact's, or a number no program
has) would be read by nobody, so it is taken as the opt-out it may be: a request to
stop is never lost. It is not taken as a menu
choice, nor re-prompted as an invalid reply; at a free-text question the engine keeps
it as the answer.

What goes back: the engine's messages, unless the number is opted out. The
exceptions are the single confirmation of a fresh opt-out that the provider does not
send itself (ALTO, стоп ...), a repeated opt-out is never confirmed again, and the
answer to HELP in any language, which carriers require whatever the opt-in state
(like English HELP in a live conversation, it is ours: the provider's keywords we
leave to it are only the opt-out and opt-in words).
"""

from __future__ import annotations

from datetime import datetime

from survey.db import Conn
from survey.i18n import isolate
from survey.resources import Resources
from survey.services import contact_locks
from survey.services import sms_conversations as conversations
from survey.services import sms_optouts as optouts
from survey.services import sms_outbox as outbox
from survey.services.sms_conversations import Conversation, Target
from survey.services.sms_setup import load_wave, reminder_schedule, setup_for
from survey.sms.conversation import (
    ConversationState,
    Event,
    Setup,
    Step,
    close,
    handle,
    reminder,
    start,
)
from survey.sms.keywords import (
    KeywordKind,
    classify_keyword,
    kind_from_opt_out_type,
    mentions_opt_out,
)
from survey.sms.menu import parse_language_choice
from survey.sms.replies import ChoiceReply, parse_choice
from survey.sms.texts import MSG_HELP, translate
from survey.sms.webhooks import InboundSms
from survey.sql import Q

__all__ = ["handle_inbound"]

# Inbound log kinds, by the first event that explains the text.
_KINDS = (
    (Event.OPTED_OUT, "opt_out"),
    (Event.REVIEW, "review"),
    (Event.OPTED_IN, "opt_in"),
    (Event.HELP, "help"),
    (Event.ANSWERED, "answer"),
    (Event.GAVE_UP, "answer"),
    (Event.REPROMPTED, "invalid"),
    (Event.LANGUAGE_CHOSEN, "language"),
    (Event.CLOSED, "after_close"),
    (Event.STARTED, "first_contact"),
    (Event.IGNORED, "ignored"),
)


def _kind(step: Step) -> str:
    for event, kind in _KINDS:
        if event in step.events:
            return kind
    return "other"


async def handle_inbound(
    conn: Conn, res: Resources, sms: InboundSms, now: datetime
) -> list[str]:
    """The texts to send back (as TwiML) for one verified inbound webhook."""
    fresh = await conn.fetchval(Q.sms_receipt_insert, sms.message_sid, now)
    if fresh is None:
        # A retry of a text we already handled: same replies, nothing else.
        replies = await conn.fetchval(Q.sms_receipt_replies, sms.message_sid)
        return list(replies or [])
    replies = await _handle(conn, res, sms, now)
    await conn.execute(Q.sms_receipt_set_replies, sms.message_sid, replies)
    return replies


def _keyword(sms: InboundSms) -> KeywordKind:
    kind = kind_from_opt_out_type(sms.opt_out_type)
    return kind if kind is not KeywordKind.NONE else classify_keyword(sms.body).kind


async def _handle(conn: Conn, res: Resources, sms: InboundSms, now: datetime) -> list[str]:
    phone = sms.from_.strip()
    # Before any row lock: the programs that have the number, against their removal.
    await contact_locks.for_phone(conn, phone)
    await conn.execute(Q.sms_lock_phone, phone)
    keyword = _keyword(sms)
    was_suppressed = await optouts.is_suppressed(conn, phone)
    source = optouts.SOURCE_PROVIDER if sms.opt_out_type else optouts.SOURCE_KEYWORD

    conv, created = await _route(conn, phone, sms.to, now)
    if conv is None:
        if keyword is KeywordKind.NONE and not sms.opt_out_type and mentions_opt_out(sms.body):
            if not await _file_for_review(conn, sms, phone, now, None):
                await optouts.record_opt_out(conn, phone, optouts.SOURCE_UNFILED, now)
        elif keyword is KeywordKind.OPT_OUT:
            await optouts.record_opt_out(conn, phone, source, now)
        elif keyword is KeywordKind.OPT_IN and was_suppressed:
            await optouts.record_opt_in(conn, phone, optouts.SOURCE_KEYWORD, now)
        elif keyword is KeywordKind.HELP:  # opted out or not (carrier rule)
            return await _help_outside_conversation(conn, res, phone, sms.body)
        return []

    wave = await load_wave(conn, conv.program_id, conv.wave_id)
    setup = await setup_for(conn, res, wave)
    state = await conversations.load_state(conn, conv)
    if not wave.is_open(now):
        state = close(state)
    preferred = conv.preferred_language
    if created:
        step = _first_contact(setup, state, sms.body, sms.opt_out_type, preferred)
    else:
        step = handle(setup, state, sms.body, opt_out_type=sms.opt_out_type, preferred=preferred)

    # The number-wide list follows the keyword even when this conversation's own
    # state did not change (already opted out here, or opted out in another program).
    if keyword is KeywordKind.OPT_OUT or Event.OPTED_OUT in step.events:
        await optouts.record_opt_out(conn, phone, source, now)
    elif was_suppressed and (keyword is KeywordKind.OPT_IN or Event.OPTED_IN in step.events):
        await optouts.record_opt_in(conn, phone, optouts.SOURCE_KEYWORD, now)

    # A text that mentions stopping without being a clear request ("why do you keep
    # texting, stop"): a person reviews it; until then no reminders.
    review = Event.REVIEW in step.events
    schedule = reminder_schedule(res.settings.sms_reminder_hours)
    await conversations.save_step(
        conn, wave, conv, step, now=now, schedule=schedule,
        most_reminders=res.settings.sms_reminder_max, inbound=True, remind=not review,
    )
    messages = list(step.messages)
    if await optouts.is_suppressed(conn, phone):
        first_confirmation = Event.OPTED_OUT in step.events and not was_suppressed
        # HELP is answered whatever the opt-in state (carrier rule); it changes nothing.
        if not first_confirmation and Event.HELP not in step.events:
            messages = []
    if review and not wave.is_open(now):
        await _file_for_review(conn, sms, phone, now, conv)
    else:
        await outbox.log_inbound(
            conn, conv.program_id, kind=_kind(step), wave_id=conv.wave_id,
            contact_id=conv.contact_id, conversation_id=conv.id, message_sid=sms.message_sid,
            segments=max(sms.num_segments, 1), now=now,
        )
    await outbox.log_replies(
        conn, conv.program_id, wave_id=conv.wave_id, contact_id=conv.contact_id,
        conversation_id=conv.id, language=step.language or step.state.language,
        bodies=messages, now=now,
    )
    if Event.CLOSED in step.events and messages:
        messages += await _ask_again_elsewhere(conn, res, phone, conv, now)
    return messages


async def _ask_again_elsewhere(
    conn: Conn, res: Resources, phone: str, closed: Conversation, now: datetime
) -> list[str]:
    """After "this survey has closed", the question (or menu) another conversation of
    the number waits on, as its reminder puts it and in its language, so that the next
    "2" answers a question the person has just seen, not one shown before the notice."""
    row = await conn.fetchrow(
        Q.sms_other_active_conversation, phone, closed.program_id, closed.id, now)
    if row is None:
        return []
    conv = await conversations.lock(conn, row["program_id"], row["id"])
    wave = await load_wave(conn, conv.program_id, conv.wave_id)
    state = await conversations.load_state(conn, conv)
    # The reminder's words ("Reminder from <program>: reply to continue the survey")
    # and the question: it says that this is another survey, still going on.
    prompt = reminder(await setup_for(conn, res, wave), state)
    if prompt:
        await outbox.log_replies(
            conn, conv.program_id, wave_id=conv.wave_id, contact_id=conv.contact_id,
            conversation_id=conv.id, language=state.language, bodies=prompt, now=now,
        )
        # Asked now: it is the conversation that texted the number last.
        await conn.execute(
            Q.sms_conversation_sent, conv.program_id, conv.id, now,
            list(reminder_schedule(res.settings.sms_reminder_hours)),
            res.settings.sms_reminder_max,
        )
    return prompt


async def _file_for_review(
    conn: Conn, sms: InboundSms, phone: str, now: datetime, conv: Conversation | None
) -> bool:
    """Log a text for review under the open wave that texted the number last, else
    (none open) under the closed conversation's wave, else nowhere (False)."""
    row = await conn.fetchrow(Q.sms_last_texting_wave, phone, now)
    if row is not None:
        where = (row["program_id"], row["wave_id"], row["contact_id"], row["conversation_id"])
    elif conv is not None:
        where = (conv.program_id, conv.wave_id, conv.contact_id, conv.id)
    else:
        return False
    program_id, wave_id, contact_id, conversation_id = where
    await outbox.log_inbound(
        conn, program_id, kind="review", wave_id=wave_id, contact_id=contact_id,
        conversation_id=conversation_id, message_sid=sms.message_sid,
        segments=max(sms.num_segments, 1), now=now,
    )
    return True


async def _help_outside_conversation(
    conn: Conn, res: Resources, phone: str, body: str
) -> list[str]:
    """HELP from a contact invited by link (no conversation): the program's HELP text,
    in the language of the keyword (AYUDA: Spanish) or else the contact's."""
    row = await conn.fetchrow(Q.sms_help_program, phone)
    if row is None:
        return []  # not a number we text: the provider's own HELP reply is all
    spoken = [c for c in classify_keyword(body).languages if c in res.supported_locales]
    language = spoken[0] if spoken else row["preferred_language"]
    gettext = res.catalogs.translator(language, row["allow_unreviewed"]).gettext
    program = isolate(row["program_name"], language)
    contact = row["contact_phone"] or row["contact_email"] or program
    return [translate(gettext, MSG_HELP, program=program, contact=contact)]


def _first_contact(
    setup: Setup, state: ConversationState, text: str, opt_out_type: str, preferred: str | None
) -> Step:
    """Someone texted before we did: a keyword, a mention of stopping (for review), or
    a language named outright ("Espanol"), is handled as such; anything else ("hi")
    gets the opening messages.
    A number ("3") is not a language choice: we sent no menu it could answer."""
    is_keyword = (
        classify_keyword(text).kind is not KeywordKind.NONE or bool(opt_out_type)
        or mentions_opt_out(text)
    )
    numbered = isinstance(parse_choice(text, range(1, len(setup.languages) + 1)), ChoiceReply)
    named = not numbered and parse_language_choice(text, setup.languages, preferred) is not None
    if is_keyword or named:
        return handle(setup, state, text, opt_out_type=opt_out_type, preferred=preferred)
    return start(setup)


async def _route(
    conn: Conn, phone: str, our_number: str, now: datetime
) -> tuple[Conversation | None, bool]:
    """(conversation, created now) for a number, locked for this transaction."""
    row = await conn.fetchrow(Q.sms_route_inbound, phone, now)
    if row is not None and row["active"]:
        return await conversations.lock(conn, row["program_id"], row["id"]), False
    # A number with a conversation already (even a closed one) starts another only in
    # a wave it was invited to: otherwise "3", a late answer to a closed wave's
    # question, would open a wave it never heard of. It hears "closed" instead.
    new = await conn.fetchrow(Q.sms_route_new, phone, now, row is None)
    if new is not None:
        wave = await load_wave(conn, new["program_id"], new["wave_id"])
        target = Target(
            new["contact_id"], new["site_id"], new["panel_member_id"], new["invitation_id"]
        )
        created = await conversations.create_many(
            conn, wave, [target], ConversationState(), our_number=our_number, now=now
        )
        return await conversations.lock(conn, wave.program_id, created[0][0]), True
    if row is not None:
        return await conversations.lock(conn, row["program_id"], row["id"]), False
    return None, False

