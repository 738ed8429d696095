"""Numeric SMS replies: which digit means which answer, and parsing a reply.

``sms_choices`` is the single source of truth for the reply numbers, so the prompt the
SMS layer composes and the parser here can never disagree. Likert items reply with the
point value itself; choices reply 1..n in option order. A missing option gets ``0``
when no point or option uses it, else the next free number (documented in the prompt).
Keywords such as "skip" are language-specific and belong to the SMS conversation,
which records them with ``Answer.skipped()`` / ``Answer.dont_know()``.
"""

from __future__ import annotations

import re
import unicodedata

import msgspec

from survey.questionnaire.answers import (
    MSG_SMS_REPLY,
    Answer,
    AnswerError,
    validate_answer,
)
from survey.questionnaire.model import (
    Item,
    LikertItem,
    MultiChoiceItem,
    OfferedMissing,
    Questionnaire,
    SingleChoiceItem,
)
from survey.questionnaire.text import missing_context, option_context, point_context


class SmsChoice(msgspec.Struct, frozen=True, kw_only=True):
    reply: str
    """What the resident texts back, e.g. "3"."""
    label: str
    """English label (the msgid)."""
    context: str
    """msgctxt of the label in the ``questionnaires`` domain."""
    value: str
    """The web-form value this reply stands for (point value, option code, missing code)."""


def sms_choices(q: Questionnaire, item: Item) -> list[SmsChoice]:
    """Reply numbers for a Likert or choice item (empty for number and text items)."""
    out: list[SmsChoice] = []
    if isinstance(item, LikertItem):
        out = [
            SmsChoice(reply=str(p.value), label=p.label, context=point_context(item, p),
                      value=str(p.value))
            for p in item.points
        ]
    elif isinstance(item, SingleChoiceItem | MultiChoiceItem):
        for n, option in enumerate(item.options, start=1):
            short = bool(option.sms_label)
            out.append(SmsChoice(
                reply=str(n),
                label=option.sms_label or option.label,
                context=option_context(item, option, "sms" if short else "label"),
                value=option.code,
            ))
    else:
        return []
    used = {int(c.reply) for c in out}
    for code in item.missing:
        number = 0 if 0 not in used else max(used) + 1
        used.add(number)
        out.append(SmsChoice(
            reply=str(number), label=_missing_label(q, code), context=missing_context(code),
            value=code,
        ))
    return out


def _missing_label(q: Questionnaire, code: OfferedMissing) -> str:
    return q.missing_labels.dont_know if code == "dont_know" else q.missing_labels.prefer_not


_SEPARATORS = re.compile(r"[\s,;/&+]+")


def _digits(text: str) -> str:
    """Fold any Unicode decimal digit (Arabic-Indic, fullwidth, Devanagari) to ASCII."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def parse_sms_reply(q: Questionnaire, item: Item, text: str) -> Answer:
    """The Answer an SMS reply stands for, or ``AnswerError`` with a re-prompt msgid.

    Accepts "3", " 3. ", "3)", native digits, and for multiple choice "1 3" or "1,3".
    Number and text items go through ``validate_answer`` unchanged.
    """
    choices = sms_choices(q, item)
    if not choices:
        return validate_answer(item, text)
    by_reply = {c.reply: c.value for c in choices}
    cleaned = _digits(text).strip().rstrip(".)").strip()
    parts = [p.rstrip(".)") for p in _SEPARATORS.split(cleaned) if p]
    if not parts or any(p not in by_reply for p in parts):
        raise AnswerError(item.id, MSG_SMS_REPLY)
    if len(parts) > 1 and not isinstance(item, MultiChoiceItem):
        raise AnswerError(item.id, MSG_SMS_REPLY)
    values = [by_reply[p] for p in parts]
    return validate_answer(item, values if isinstance(item, MultiChoiceItem) else values[0])
