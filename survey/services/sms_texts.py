"""Texts of SMS link invitations (the conversation's own texts are in survey.sms.texts).

A link invitation carries a personal link whose token exists only while the worker
sends it, so the body is composed at send time; the log keeps it with the token
replaced (``redact``). The URL length is fixed for a program, so the segment count
is known at enqueue time from a placeholder of the same length.
"""

from __future__ import annotations

from survey.i18n import isolate
from survey.services.invitations import personal_url
from survey.sms.segments import SegmentInfo, count_segments
from survey.sms.texts import Gettext, translate

__all__ = [
    "MSG_LINK_INVITATION",
    "MSG_LINK_REMINDER",
    "TOKEN_BYTES",
    "link_text",
    "placeholder_token",
    "redact",
]

#: 128 random bits, as every personal link (``invitations.store``).
TOKEN_BYTES = 16
_TOKEN_CHARS = 22  # base64url of 16 bytes, unpadded


def _(message: str) -> str:
    return message


# TRANSLATORS: SMS carrying a personal survey link. Keep %(url)s exactly, STOP in
# capitals, and the text plain (no curly quotes) so it stays one or two segments.
MSG_LINK_INVITATION = _(
    "%(program)s asks about safety and trust where you live. Your survey: %(url)s "
    "Msg&data rates may apply. Reply STOP to opt out."
)
# TRANSLATORS: SMS reminder with a new personal survey link (the earlier one stops
# working). Keep %(url)s exactly and STOP in capitals.
MSG_LINK_REMINDER = _(
    "Reminder from %(program)s: your survey is still open. %(url)s Reply STOP to opt out."
)


def placeholder_token(program_id: int) -> str:
    """A stand-in with the length of a real token, for segment counts and logs."""
    return f"{program_id}-" + "x" * _TOKEN_CHARS


def link_text(
    gettext: Gettext, msgid: str, *, language: str, program: str, base_url: str, token: str
) -> str:
    return translate(
        gettext, msgid, program=isolate(program, language), url=personal_url(base_url, token)
    )


def redact(body: str, token: str, program_id: int) -> str:
    """The body as logged: the secret part of the link replaced."""
    return body.replace(token, placeholder_token(program_id))


def segments_of(body: str) -> SegmentInfo:
    return count_segments(body)
