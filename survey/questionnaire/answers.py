"""Answers: the stored value shape and validation of raw web-form and SMS input.

An ``Answer`` maps one-to-one onto an ``answers`` row: exactly one of ``value_num``
(Likert point, number), ``value_text`` (free text only, so PII review has one column to
watch), ``value_codes`` (single and multiple choice) or ``missing``. Error messages are
English msgids marked with ``N_`` so the web and SMS layers can translate them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

import msgspec

from survey.errors import N_, SurveyError
from survey.questionnaire.model import (
    MISSING_CODES,
    Item,
    LikertItem,
    MissingCode,
    MultiChoiceItem,
    NumberItem,
    SingleChoiceItem,
    TextItem,
)

Raw = str | Sequence[str] | int | float | None


# C0 controls but tab, line feed and carriage return (a browser sends a textarea's
# line breaks as CR LF). PostgreSQL text cannot hold NUL at all, and the others are
# never typed on purpose (a paste from a terminal, a phone's stray escape); dropping
# them keeps the answer rather than failing a whole form over one invisible character.
_CONTROLS = dict.fromkeys(c for c in range(0x20) if chr(c) not in "\t\n\r")


def clean_text(text: str) -> str:
    """``text`` without the C0 control characters a text column should not hold."""
    if text.isprintable() or not text:
        return text
    return text.translate(_CONTROLS)


class Answer(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One stored answer. Exactly one field is set."""

    value_num: float | None = None
    value_text: str | None = None
    value_codes: list[str] | None = None
    missing: MissingCode | None = None

    def __post_init__(self) -> None:
        # Written out, not summed over a generator: every answer of every post is built.
        set_fields = (
            (self.value_num is not None) + (self.value_text is not None)
            + (self.value_codes is not None) + (self.missing is not None)
        )
        if set_fields != 1:
            raise ValueError(
                "an Answer has exactly one of value_num, value_text, value_codes, missing"
            )

    @property
    def is_missing(self) -> bool:
        return self.missing is not None

    @classmethod
    def skipped(cls) -> Answer:
        return cls(missing="skipped")

    @classmethod
    def dont_know(cls) -> Answer:
        return cls(missing="dont_know")

    @classmethod
    def prefer_not(cls) -> Answer:
        return cls(missing="prefer_not")


class AnswerError(SurveyError):
    """A raw answer does not fit its item. ``message`` is a msgid, ``params`` its values."""

    status = 422
    code = "invalid_answer"

    def __init__(self, item_id: str, message: str, **params: object) -> None:
        super().__init__(message, **params)
        self.item_id = item_id


MSG_REQUIRED = N_("Please answer this question.")
MSG_CHOOSE_ONE = N_("Please choose one of the options.")
MSG_CHOOSE_ONLY_ONE = N_("Please choose only one option.")
MSG_CHOOSE_AT_LEAST = N_("Please choose at least %(min)d options.")
MSG_CHOOSE_AT_MOST = N_("Please choose at most %(max)d options.")
MSG_EXCLUSIVE = N_("“%(option)s” cannot be combined with other options.")
MSG_NUMBER = N_("Please enter a number.")
MSG_WHOLE_NUMBER = N_("Please enter a whole number.")
MSG_NUMBER_MIN = N_("Please enter a number of at least %(min)s.")
MSG_NUMBER_MAX = N_("Please enter a number no larger than %(max)s.")
MSG_TEXT_TOO_LONG = N_("Please keep your answer under %(max)d characters.")
MSG_SMS_REPLY = N_("Please reply with one of the numbers shown.")


def _values(raw: Raw) -> list[str]:
    """Normalise raw input to a list of non-empty, NFKC-folded, stripped strings.

    NFKC folds fullwidth digits; ``int()`` then accepts any Unicode decimal digit, so
    Arabic-Indic and Devanagari digits typed on a phone work too.
    """
    if raw is None:
        return []
    if isinstance(raw, bool):
        raw = str(int(raw))
    if isinstance(raw, int | float):
        return [repr(raw) if isinstance(raw, float) else str(raw)]
    items = [raw] if isinstance(raw, str) else list(raw)
    out = []
    for value in items:
        text = clean_text(str(value))
        # NFKC leaves ASCII as it is, and nearly every answer is ASCII (codes, numbers).
        text = text.strip() if text.isascii() else unicodedata.normalize("NFKC", text).strip()
        if text:
            out.append(text)
    return out


def _missing_from(item: Item, values: list[str]) -> Answer | None:
    if len(values) == 1 and values[0] in MISSING_CODES:
        code = values[0]
        if code == "skipped" or code in item.missing:
            if code == "skipped" and item.required:
                raise AnswerError(item.id, MSG_REQUIRED)
            return Answer(missing=code)  # type: ignore[arg-type]
    return None


def any_answered(answers: Iterable[Answer]) -> bool:
    """Whether a resident gave anything at all: a value, or a "don't know" / "prefer
    not to say" they chose. Only ``skipped``, what a blank question is stored as, is
    nothing; a response of nothing else is empty, not complete."""
    return any(answer.missing != "skipped" for answer in answers)


def validate_answer(item: Item, raw: Raw) -> Answer:
    """Turn raw web-form input into an ``Answer`` or raise ``AnswerError``.

    ``raw`` is what a form posts: a point value or option code, a list of codes for
    multiple choice, or the missing codes ``dont_know``/``prefer_not`` when the item
    offers them. Empty input means ``skipped`` unless the item is required.
    """
    if isinstance(item, TextItem):
        return _text(item, raw)
    values = _values(raw)
    if not values:
        if item.required:
            raise AnswerError(item.id, MSG_REQUIRED)
        return Answer.skipped()
    missing = _missing_from(item, values)
    if missing is not None:
        return missing
    if isinstance(item, LikertItem):
        return _likert(item, values)
    if isinstance(item, SingleChoiceItem):
        return _single(item, values)
    if isinstance(item, MultiChoiceItem):
        return _multi(item, values)
    return _number(item, values)


def _likert(item: LikertItem, values: list[str]) -> Answer:
    if len(values) != 1:
        raise AnswerError(item.id, MSG_CHOOSE_ONLY_ONE)
    try:
        number = float(values[0])
    except ValueError:
        raise AnswerError(item.id, MSG_CHOOSE_ONE) from None
    if number.is_integer():  # False for inf and nan too
        value = int(number)
        for point in item.points:
            if point.value == value:
                return Answer(value_num=float(value))
    raise AnswerError(item.id, MSG_CHOOSE_ONE)


def _single(item: SingleChoiceItem, values: list[str]) -> Answer:
    if len(values) != 1:
        raise AnswerError(item.id, MSG_CHOOSE_ONLY_ONE)
    if values[0] not in {o.code for o in item.options}:
        raise AnswerError(item.id, MSG_CHOOSE_ONE)
    return Answer(value_codes=[values[0]])


def _multi(item: MultiChoiceItem, values: list[str]) -> Answer:
    by_code = {o.code: o for o in item.options}
    chosen = set(values)
    if any(code not in by_code for code in chosen):
        raise AnswerError(item.id, MSG_CHOOSE_ONE)
    for code in chosen:
        if by_code[code].exclusive and len(chosen) > 1:
            raise AnswerError(item.id, MSG_EXCLUSIVE, option=by_code[code].label)
    if len(chosen) < item.min_selected:
        raise AnswerError(item.id, MSG_CHOOSE_AT_LEAST, min=item.min_selected)
    if item.max_selected is not None and len(chosen) > item.max_selected:
        raise AnswerError(item.id, MSG_CHOOSE_AT_MOST, max=item.max_selected)
    # Option order, not click order, so equal answers store equal arrays.
    return Answer(value_codes=[o.code for o in item.options if o.code in chosen])


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def _format_bound(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _number(item: NumberItem, values: list[str]) -> Answer:
    if len(values) != 1:
        raise AnswerError(item.id, MSG_NUMBER)
    text = values[0].replace(" ", "").replace("\u00a0", "")
    # Normalise every Unicode decimal digit to ASCII before matching.
    text = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)
    if not _NUMBER.match(text):
        raise AnswerError(item.id, MSG_NUMBER)
    value = float(text.replace(",", "."))
    if not math.isfinite(value):
        raise AnswerError(item.id, MSG_NUMBER)
    if item.integer and value != int(value):
        raise AnswerError(item.id, MSG_WHOLE_NUMBER)
    if item.min is not None and value < item.min:
        raise AnswerError(item.id, MSG_NUMBER_MIN, min=_format_bound(item.min))
    if item.max is not None and value > item.max:
        raise AnswerError(item.id, MSG_NUMBER_MAX, max=_format_bound(item.max))
    return Answer(value_num=value)


def _text(item: TextItem, raw: Raw) -> Answer:
    # Residents' own words are kept as typed (no NFKC), only trimmed.
    if raw is None or isinstance(raw, int | float):
        text = "" if raw is None else str(raw)
    else:
        text = raw if isinstance(raw, str) else "\n".join(str(v) for v in raw)
    text = clean_text(text).strip()
    if not text:
        if item.required:
            raise AnswerError(item.id, MSG_REQUIRED)
        return Answer.skipped()
    if text in item.missing:
        return Answer(missing=text)
    if len(text) > item.max_length:
        raise AnswerError(item.id, MSG_TEXT_TOO_LONG, max=item.max_length)
    return Answer(value_text=text)
