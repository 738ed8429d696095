"""The SMS conversation as a pure state machine.

    step = handle(setup, state, inbound_text)
    # persist step.state, store step.answer, send step.messages (TwiML or queue)

No I/O, no clock, no database: the caller loads the state (JSON, see
``ConversationState``), calls ``start``/``handle``/``reminder``/``close``, and
persists what comes back in one transaction with the answer, keyed by the
inbound ``MessageSid`` so a provider retry changes nothing.

The flow:

1. ``start``: the ASCII language menu (one GSM-7 segment), unless the wave has
   one language or the caller already knows it.
2. On a language: the questionnaire's intro with rates/SKIP/HELP/STOP, its
   consent text, then the first visible item.
3. One item per message, numbered replies with anchor labels in the chosen
   language (``compose_sms_question``, the same text the cost estimate uses).
   Skip logic is the questionnaire's ``next_item``/``visible_items``, over the
   answers kept in the state.
4. An invalid reply gets the localized reason plus the question again, at most
   ``max_reprompts`` times; the next invalid reply records the item as skipped
   (even a required one: SMS cannot force an answer) and moves on.
5. After the last item, the questionnaire's thank-you; status ``completed``.

Keywords come first, in carrier order: opt-out (any status), HELP, then opt-in
(only for an opted-out conversation; otherwise "yes" is an answer). After an
opt-out the conversation sends exactly one confirmation and then nothing but
answers to HELP (carriers require HELP answered whatever the opt-in state; it
changes nothing), whatever arrives, until an opt-in. Next, before the text is read as a menu choice
or an answer, a text that only *mentions* stopping ("why do you keep texting me,
stop") is set aside for a person (``Event.REVIEW``): no reply, state unchanged; a
complaint is not an invalid choice to re-prompt. At a free-text question it may be
the answer, so it is kept as one and set aside all the same.
``LANG`` (and its translations) reopens the language menu mid-survey, keeping the
answers.

Replies to those keywords are the program's, not the questionnaire's, so they may
be in any language a catalog translates, not only the wave's (``keyword_reply_language``).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from survey.i18n import (
    compose_sms_question,
    compose_sms_replies,
    other_chinese_script,
)
from survey.questionnaire import (
    Answer,
    Item,
    TextItem,
    next_item,
    visible_items,
)
from survey.sms.conversation_setup import Setup
from survey.sms.conversation_state import (
    ConversationState,
    Event,
    ItemAnswer,
    Status,
    Step,
    decode_state,
    encode_state,
)
from survey.sms.item_replies import Problem, interpret_reply
from survey.sms.keywords import (
    KeywordKind,
    classify_keyword,
    is_provider_keyword,
    kind_from_opt_out_type,
    mentions_opt_out,
)
from survey.sms.menu import compose_language_menu, parse_language_choice
from survey.sms.reply_language import keyword_reply_language
from survey.sms.textnorm import fold
from survey.sms.texts import (
    MSG_CLOSED,
    MSG_HELP,
    MSG_INTRO_FOOTER,
    MSG_MOVE_ON,
    MSG_REMINDER,
    MSG_RESTARTED,
    MSG_STOPPED,
    opening_texts,
    reprompt,
    translate,
)

__all__ = [
    "ConversationState",
    "Event",
    "ItemAnswer",
    "Setup",
    "Status",
    "Step",
    "close",
    "decode_state",
    "encode_state",
    "handle",
    "opt_out",
    "reminder",
    "start",
]

# Whole-message words that reopen the language menu.
_LANGUAGE_WORDS = frozenset(fold(w) for w in (
    "lang", "language", "idioma", "ngôn ngữ", "wika", "язык", "мова", "언어", "luqad",
    "ቋንቋ", "ਭਾਸ਼ਾ", "ភាសា", "لغة", "语言", "語言",
))


# -- entry points --------------------------------------------------------------


def start(setup: Setup, *, language: str | None = None) -> Step:
    """The first outbound message(s) of a conversational invitation."""
    if language is None and len(setup.languages) == 1:
        language = setup.languages[0]
    if language is not None and language in setup.languages:
        step = _begin(setup, ConversationState(status="in_progress", language=language))
        return msgspec.structs.replace(step, events=(Event.STARTED, *step.events))
    return Step(
        state=ConversationState(),
        messages=[compose_language_menu(setup.languages, setup.program)],
        events=(Event.STARTED,),
    )


def handle(
    setup: Setup, state: ConversationState, text: str, *, opt_out_type: str = "",
    preferred: str | None = None,
) -> Step:
    """Advance the conversation with one inbound text.

    ``opt_out_type`` is Twilio Advanced Opt-Out's ``OptOutType`` field, when
    present; it overrides our own keyword matching. ``preferred`` is the contact's
    language from the contact list, for keyword replies when nothing better is known.
    """
    kind = kind_from_opt_out_type(opt_out_type)
    match = classify_keyword(text)
    if kind is KeywordKind.NONE:
        kind = match.kind
    quiet = setup.provider_confirms_keywords and (
        bool(opt_out_type) or is_provider_keyword(text)
    )

    def lang(msgid: str) -> str:
        return keyword_reply_language(
            msgid, phrase_languages=match.languages, conversation=state.language,
            preferred=preferred, offered=setup.languages, default=setup.default_language,
            translates=setup.translates,
        )

    if kind is KeywordKind.OPT_OUT:
        if state.status == "opted_out":
            return Step(state=state, messages=[], events=(Event.IGNORED,))
        new = opt_out(state)
        said = lang(MSG_STOPPED)
        messages = [] if quiet else [setup.say(said, MSG_STOPPED)]
        return Step(state=new, messages=messages, events=(Event.OPTED_OUT,), language=said)
    if kind is KeywordKind.HELP:
        # Answered in any state, opted out included (carrier rule): it neither opts
        # the person back in nor moves the conversation.
        said = lang(MSG_HELP)
        return Step(state=state, messages=[setup.say(said, MSG_HELP)],
                    events=(Event.HELP,), language=said)
    if state.status == "opted_out":
        if kind is not KeywordKind.OPT_IN:
            # Never another message after an opt-out but HELP, whatever arrives.
            return Step(state=state, messages=[], events=(Event.IGNORED,))
        resumed = msgspec.structs.replace(
            state, status=state.resume or "choosing_language", resume=None
        )
        messages = [] if quiet else [setup.say(lang(MSG_RESTARTED), MSG_RESTARTED)]
        return Step(
            state=resumed, messages=messages + _pending_prompt(setup, resumed),
            events=(Event.OPTED_IN,),
        )
    if kind is KeywordKind.NONE and mentions_opt_out(text):
        if _writing(setup, state):
            # At a free-text question it may be the answer ("the bus stop is dark"):
            # kept, since nothing a resident writes is thrown away, and still set
            # aside for a person, who can delete a complaint stored as a comment.
            step = _answer(setup, state, text)
            return msgspec.structs.replace(step, events=(Event.REVIEW, *step.events))
        return Step(state=state, messages=[], events=(Event.REVIEW,))
    if state.status == "closed":
        # Like a keyword's reply: the conversation's language, else the contact
        # list's, else the wave's default (a "3" says nothing of a language).
        said = lang(MSG_CLOSED)
        closed = setup.say(said, MSG_CLOSED)
        return Step(state=state, messages=[closed], events=(Event.CLOSED,), language=said)
    if state.status == "completed":
        return Step(state=state, messages=[], events=(Event.IGNORED,))
    if state.status == "choosing_language" or state.language is None:
        return _choose_language(setup, state, text, preferred)
    if fold(text) in _LANGUAGE_WORDS and len(setup.languages) > 1:
        menu = compose_language_menu(setup.languages, setup.program)
        new = msgspec.structs.replace(state, status="choosing_language", invalid=0)
        return Step(state=new, messages=[menu])
    return _answer(setup, state, text)


def opt_out(state: ConversationState) -> ConversationState:
    """The state after an opt-out (STOP, or a person deciding for them): silent until
    an opt-in, which resumes where it was."""
    if state.status == "opted_out":
        return state
    return msgspec.structs.replace(state, status="opted_out", resume=state.status)


def reminder(setup: Setup, state: ConversationState) -> list[str]:
    """Text of a reminder for a conversation that stalled: a short nudge and the
    pending question (or the menu). Empty when nothing should be sent."""
    if state.status == "choosing_language":
        return [compose_language_menu(setup.languages, setup.program)]
    if state.status != "in_progress" or state.language is None:
        return []
    prompt = _pending_prompt(setup, state)
    if not prompt:
        return []
    return [setup.say(state.language, MSG_REMINDER) + "\n" + prompt[0]]


def close(state: ConversationState) -> ConversationState:
    """The wave closed: later replies get "this survey has closed". An opted-out
    conversation stays opted out (it must stay silent)."""
    if state.status == "opted_out":
        return msgspec.structs.replace(state, resume="closed")
    if state.status == "completed":
        return state
    return msgspec.structs.replace(state, status="closed")


# -- internals -----------------------------------------------------------------


def _question(setup: Setup, language: str, item: Item) -> str:
    q = setup.localized(language)
    return compose_sms_question(q, q.item(item.id))


def _reprompt(setup: Setup, language: str, item: Item, reason: str) -> str:
    q = setup.localized(language)
    return reprompt(reason, _question(setup, language, item),
                    compose_sms_replies(q, q.item(item.id)))


def _current_item(setup: Setup, state: ConversationState) -> Item | None:
    """The item awaiting a reply: the one last asked if it is still visible and
    unanswered, else the next one by skip logic."""
    q = setup.questionnaire
    if state.item_id is not None and state.item_id not in state.answers:
        visible = {i.id for i in visible_items(q, state.answers)}
        if state.item_id in visible:
            return q.item(state.item_id)
    return next_item(q, state.answers)


def _writing(setup: Setup, state: ConversationState) -> bool:
    """The conversation waits for an answer in the resident's own words."""
    if state.status != "in_progress" or state.language is None:
        return False
    return isinstance(_current_item(setup, state), TextItem)


def _pending_prompt(setup: Setup, state: ConversationState) -> list[str]:
    if state.status == "choosing_language":
        return [compose_language_menu(setup.languages, setup.program)]
    if state.status != "in_progress" or state.language is None:
        return []
    item = _current_item(setup, state)
    return [] if item is None else [_question(setup, state.language, item)]


def _begin(setup: Setup, state: ConversationState) -> Step:
    """Language known: intro (first time only), then the pending question."""
    assert state.language is not None
    messages: list[str] = []
    if not state.answers and state.item_id is None:
        q = setup.localized(state.language)
        intro, consent = opening_texts(
            q.intro, setup.say(state.language, MSG_INTRO_FOOTER), q.consent)
        messages.append(intro)
        if setup.send_consent and consent:
            messages.append(consent)
    return _ask_next(setup, state, messages, ())


def _ask_next(
    setup: Setup, state: ConversationState, messages: list[str], events: tuple[Event, ...],
    answer: ItemAnswer | None = None,
) -> Step:
    assert state.language is not None
    item = _current_item(setup, state)
    if item is None:
        done = msgspec.structs.replace(state, status="completed", item_id=None, invalid=0)
        thanks = setup.localized(state.language).thanks
        return Step(state=done, messages=[*messages, thanks], answer=answer,
                    events=(*events, Event.COMPLETED))
    asked = msgspec.structs.replace(state, status="in_progress", item_id=item.id)
    return Step(state=asked, messages=[*messages, _question(setup, state.language, item)],
                answer=answer, events=events)


def _choose_language(
    setup: Setup, state: ConversationState, text: str, preferred: str | None
) -> Step:
    language = parse_language_choice(text, setup.languages, preferred)
    if language is None:
        if state.invalid < setup.max_reprompts:
            menu = compose_language_menu(setup.languages, setup.program)
            new = msgspec.structs.replace(state, invalid=state.invalid + 1)
            return Step(state=new, messages=[menu], events=(Event.REPROMPTED,))
        # Still unclear after the re-prompts: go on in the language already spoken
        # (a menu reopened by LANG), else the contact list's, else the wave's default
        # (they can reply LANG later), rather than loop on the menu.
        offered = preferred if preferred in setup.languages else other_chinese_script(
            preferred, setup.languages)
        known = (c for c in (state.language, offered) if c in setup.languages)
        language = next(known, setup.default_language)
    chosen = msgspec.structs.replace(state, status="in_progress", language=language, invalid=0)
    step = _begin(setup, chosen)
    return msgspec.structs.replace(step, events=(Event.LANGUAGE_CHOSEN, *step.events))


def _answer(setup: Setup, state: ConversationState, text: str) -> Step:
    assert state.language is not None
    item = _current_item(setup, state)
    if item is None:  # nothing left to ask (e.g. the state predates a completion)
        return _ask_next(setup, state, [], ())
    q = setup.localized(state.language)
    result = interpret_reply(q, q.item(item.id), text)
    if isinstance(result, Problem):
        if state.invalid < setup.max_reprompts:
            reason = translate(setup.gettext(state.language), result.message, **result.params)
            new = msgspec.structs.replace(state, item_id=item.id, invalid=state.invalid + 1)
            return Step(state=new, messages=[_reprompt(setup, state.language, item, reason)],
                        events=(Event.REPROMPTED,))
        skipped = _record(state, item, Answer.skipped())
        move_on = setup.say(state.language, MSG_MOVE_ON)
        return _ask_next(setup, skipped, [move_on], (Event.GAVE_UP,),
                         ItemAnswer(item_id=item.id, answer=Answer.skipped(), raw=text))
    answered = _record(state, item, result)
    return _ask_next(setup, answered, [], (Event.ANSWERED,),
                     ItemAnswer(item_id=item.id, answer=result, raw=text))


def _record(state: ConversationState, item: Item, answer: Answer) -> ConversationState:
    answers: Mapping[str, Answer] = {**state.answers, item.id: answer}
    return msgspec.structs.replace(state, answers=dict(answers), item_id=None, invalid=0)

