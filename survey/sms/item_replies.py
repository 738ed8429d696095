"""From an SMS reply to the Answer it stands for, for one questionnaire item.

The reply numbers come from ``survey.questionnaire.sms_choices`` (Likert items by
point value, choices 1..n, a missing option on 0 or the next free number), the
same list the prompt is composed from, so prompt and parser cannot disagree.
Parsing is lenient (``survey.sms.replies``: any digit script, skip and don't-know
words in all our languages, option labels); validation is the questionnaire's
own ``validate_answer``, so SMS and web accept exactly the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from survey.questionnaire import (
    Answer,
    AnswerError,
    Item,
    MultiChoiceItem,
    NumberItem,
    Questionnaire,
    sms_choices,
    validate_answer,
)
from survey.questionnaire.answers import MSG_NUMBER, MSG_REQUIRED, MSG_SMS_REPLY
from survey.sms.replies import (
    ChoiceReply,
    DontKnowReply,
    InvalidReason,
    InvalidReply,
    MultiChoiceReply,
    NumberReply,
    Reply,
    SkipReply,
    TextReply,
    means_dont_know,
    parse_choice,
    parse_multi_choice,
    parse_number,
    parse_text,
)

__all__ = ["Problem", "interpret_reply"]


class Problem(msgspec.Struct, frozen=True):
    """Why a reply was not accepted: a msgid (``messages`` domain) and its params."""

    message: str
    params: dict[str, object] = {}


def _parse(q: Questionnaire, item: Item, text: str) -> tuple[Reply, dict[int, str]]:
    """The parsed reply, and reply number -> stored value for choice-like items."""
    choices = sms_choices(q, item)
    values = {int(c.reply): c.value for c in choices}
    if isinstance(item, MultiChoiceItem):
        missing = [int(c.reply) for c in choices if c.value in item.missing]
        alone = parse_choice(text, missing) if missing else None
        if isinstance(alone, ChoiceReply):
            return alone, values
        options = [n for n in values if n not in missing]
        return parse_multi_choice(text, options), values
    if choices:
        labels = {c.label: int(c.reply) for c in choices}
        parsed = parse_choice(text, list(values), labels=labels)
        if isinstance(parsed, DontKnowReply) and "dont_know" not in item.missing:
            # "idk" on "1=Yes, 2=No, 3=Not sure" means option 3, in any language.
            unsure = [int(c.reply) for c in choices if means_dont_know(c.label)]
            if len(unsure) == 1:
                return ChoiceReply(unsure[0]), values
        return parsed, values
    if isinstance(item, NumberItem):
        # Bounds and whole-number checks are validate_answer's, with its messages.
        return parse_number(text, integer=False), values
    return parse_text(text), values


def _number_text(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _validate(item: Item, parsed: Reply, values: Mapping[int, str]) -> Answer | Problem:
    if isinstance(parsed, InvalidReply):
        if isinstance(item, NumberItem):
            return Problem(MSG_NUMBER)
        if parsed.reason is InvalidReason.EMPTY and not values:
            return Problem(MSG_REQUIRED)
        return Problem(MSG_SMS_REPLY)
    raw: str | list[str] | None
    if isinstance(parsed, ChoiceReply):
        raw = values[parsed.number]
    elif isinstance(parsed, MultiChoiceReply):
        raw = [values[n] for n in parsed.numbers]
    elif isinstance(parsed, DontKnowReply):
        # An item with neither a don't-know option nor an option saying the same
        # ("Not sure") records it as skipped, as SKIP would be: the person has told
        # us they cannot answer, and re-prompting them for an answer the item does
        # not offer would only cost texts and patience (tests/sms pins this).
        raw = "dont_know" if "dont_know" in item.missing else None
    elif isinstance(parsed, SkipReply):
        raw = None
    elif isinstance(parsed, NumberReply):
        raw = _number_text(parsed.value)
    else:
        assert isinstance(parsed, TextReply)
        raw = parsed.text
    try:
        return validate_answer(item, raw)
    except AnswerError as exc:
        return Problem(exc.message, dict(exc.params))


def interpret_reply(q: Questionnaire, item: Item, text: str) -> Answer | Problem:
    """The Answer an SMS reply to ``item`` stands for, or the Problem to re-prompt with.

    ``q`` and ``item`` may be a translated copy: labels are matched in the
    person's language, while codes and values are the same in every language.
    Never raises on any text.
    """
    parsed, values = _parse(q, item, text)
    return _validate(item, parsed, values)
