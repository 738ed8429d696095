"""What the SMS conversation itself says (besides the questionnaire's own text).

Each message is an English msgid marked with ``_`` so ``survey i18n extract``
(Babel's default keywords) puts it in the ``messages`` domain; the conversation
translates it at run time with the gettext callable the caller passes in. Keep
them short and plain: in UCS-2 languages a segment holds only 70 characters, and
curly quotes or dashes would push English into UCS-2 too.
"""

from __future__ import annotations

from collections.abc import Callable

from survey.i18n import render

__all__ = [
    "MSG_CLOSED",
    "MSG_HELP",
    "MSG_INTRO_FOOTER",
    "MSG_MOVE_ON",
    "MSG_REMINDER",
    "MSG_RESTARTED",
    "MSG_STOPPED",
    "Gettext",
    "translate",
]

Gettext = Callable[[str], str]
"""msgid -> text in one language (``Catalogs.translator(locale).gettext``)."""


def _(message: str) -> str:
    """Mark a msgid for extraction; translation happens per conversation language."""
    return message


# Appended to the questionnaire's intro once the language is known (CTIA: rates,
# HELP and STOP instructions in the first message of the program).
MSG_INTRO_FOOTER = _(
    "Msg&data rates may apply. Reply SKIP to skip a question, HELP for help, STOP to opt out."
)
# Said before the next question when a reply stayed invalid after the re-prompts.
MSG_MOVE_ON = _("Let's go on to the next question.")
# CTIA HELP reply: program name, how to reach a person, rates, how to opt out.
MSG_HELP = _(
    "%(program)s survey. For help: %(contact)s. Msg&data rates may apply. "
    "Reply STOP to opt out."
)
# The one confirmation allowed after an opt-out: no persuasion, nothing else.
MSG_STOPPED = _("You will get no more texts from %(program)s. Reply START to get them again.")
MSG_RESTARTED = _("You will get texts from %(program)s again. Reply STOP to opt out.")
MSG_CLOSED = _("This survey has closed. Thank you.")
MSG_REMINDER = _("Reminder from %(program)s: reply to continue the survey, or STOP to opt out.")


def translate(gettext: Gettext, msgid: str, **params: object) -> str:
    """Translate and fill placeholders; a translation whose placeholders are broken
    falls back to the English text rather than failing in front of a resident."""
    text = gettext(msgid)
    if not params:
        return text
    return render(text, {k: str(v) for k, v in params.items()}, msgid)
