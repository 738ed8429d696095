"""What the SMS conversation itself says (besides the questionnaire's own text).

Each message is an English msgid marked with ``_`` so ``survey i18n extract``
(Babel's default keywords) puts it in the ``messages`` domain; the conversation
translates it at run time with the gettext callable the caller passes in. Keep
them short and plain: in UCS-2 languages a segment holds only 70 characters, and
curly quotes or dashes would push English into UCS-2 too.
"""

from __future__ import annotations

from collections.abc import Callable

from survey.i18n import SMS_SEGMENT_BUDGET, render
from survey.sms.segments import count_segments

__all__ = [
    "MSG_CLOSED",
    "MSG_HELP",
    "MSG_INTRO_FOOTER",
    "MSG_MOVE_ON",
    "MSG_REMINDER",
    "MSG_RESTARTED",
    "MSG_STOPPED",
    "Gettext",
    "opening_texts",
    "reprompt",
    "translate",
]

Gettext = Callable[[str], str]
"""msgid -> text in one language (``Catalogs.translator(locale).gettext``)."""


def _(message: str) -> str:
    """Mark a msgid for extraction; translation happens per conversation language."""
    return message


# TRANSLATORS: SMS, after the survey's intro in the first message (carrier rules:
# rates, HELP and STOP). Keep SKIP, HELP and STOP in capitals; your language's word
# for "skip" also works. Plain text, as short as you can.
MSG_INTRO_FOOTER = _(
    "Msg&data rates may apply. Reply SKIP to skip a question, HELP for help, STOP to opt out."
)
# TRANSLATORS: SMS, before the next question when replies to one stayed unclear.
MSG_MOVE_ON = _("Let's go on to the next question.")
# TRANSLATORS: SMS reply to HELP. Must keep the program name, the contact, the
# rates notice and how to opt out (carrier rules).
MSG_HELP = _(
    "%(program)s survey. For help: %(contact)s. Msg&data rates may apply. "
    "Reply STOP to opt out."
)
# TRANSLATORS: SMS, the one confirmation after an opt-out. Only confirm: no
# persuasion, no other content (FCC rule). Keep START as is.
MSG_STOPPED = _("You will get no more texts from %(program)s. Reply START to get them again.")
# TRANSLATORS: SMS, after START when the person had opted out.
MSG_RESTARTED = _("You will get texts from %(program)s again. Reply STOP to opt out.")
# TRANSLATORS: SMS reply after the survey closed.
MSG_CLOSED = _("This survey has closed. Thank you.")
# TRANSLATORS: SMS reminder, followed by the pending question.
MSG_REMINDER = _("Reminder from %(program)s: reply to continue the survey, or STOP to opt out.")


def translate(gettext: Gettext, msgid: str, **params: object) -> str:
    """Translate and fill placeholders; a translation whose placeholders are broken
    falls back to the English text rather than failing in front of a resident.

    Params keep their type: an answer error's ``%(max)d`` needs the number itself
    (a string there fails, and the fallback would show the raw English msgid)."""
    text = gettext(msgid)
    if not params:
        return text
    return render(text, params, msgid)


def opening_texts(intro: str, footer: str, consent: str) -> tuple[str, str]:
    """The two texts that open a conversation: the questionnaire's intro with the
    carrier footer (``MSG_INTRO_FOOTER``, translated), then its consent (may be empty).
    ``survey i18n status`` costs them with this too, so both count the same text."""
    return f"{intro} {footer}", consent


def reprompt(reason: str, question: str, replies: str) -> str:
    """Why a reply was not taken, then the question again; where that would cost a
    message more than the question did (one written up to the budget, in a UCS-2
    language), the numbered replies alone: the question came in the text before."""
    full = f"{reason}\n{question}"
    budget = max(SMS_SEGMENT_BUDGET, count_segments(question).segments)
    if count_segments(full).segments <= budget:
        return full
    return f"{reason}\n{replies}" if replies else reason
