"""Parsing an SMS reply to one questionnaire item.

Prompt format this parser is built for (the conversation engine writes it):

* choice items list numbered options, "1=Never ... 5=Always"; when the item has
  a don't-know option it gets its own number (the engine chooses it, normally 0
  or 9, and passes it in as ``dont_know_number``);
* any item can be skipped by replying SKIP, or the word for it in the person's
  language; "don't know" words are understood on every item;
* number items take a number, free-text items any text.

Numbers are accepted in any script's decimal digits (Arabic-Indic ٣, Persian ۳,
Devanagari ३, Bengali ৩, Gurmukhi ੩, Khmer ៣, full-width ３ ...) and, for a
single choice, as one Chinese numeral (三). Light decoration is tolerated:
"3.", "(3)", "#3", " 3 ", "3 - often". A reply with two numbers ("3 or 4") is
ambiguous, so invalid. Skip and don't-know words from *all* our languages are
accepted whatever language was chosen, because people mix (Taglish "skip",
Spanglish "no sé"). None of these functions raises on any input.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Collection, Mapping

import msgspec

from survey.sms.textnorm import fold, light, to_ascii_digits

__all__ = [
    "DONT_KNOW_WORDS",
    "SKIP_WORDS",
    "ChoiceReply",
    "DontKnowReply",
    "InvalidReason",
    "InvalidReply",
    "MultiChoiceReply",
    "NumberReply",
    "Reply",
    "SkipReply",
    "TextReply",
    "means_dont_know",
    "parse_choice",
    "parse_multi_choice",
    "parse_number",
    "parse_text",
]


class ChoiceReply(msgspec.Struct, frozen=True, tag="choice"):
    number: int


class MultiChoiceReply(msgspec.Struct, frozen=True, tag="multi"):
    numbers: tuple[int, ...]


class NumberReply(msgspec.Struct, frozen=True, tag="number"):
    value: int | float


class TextReply(msgspec.Struct, frozen=True, tag="text"):
    text: str


class SkipReply(msgspec.Struct, frozen=True, tag="skip"):
    pass


class DontKnowReply(msgspec.Struct, frozen=True, tag="dont_know"):
    pass


class InvalidReason(enum.StrEnum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    AMBIGUOUS = "ambiguous"
    TOO_LONG = "too_long"


class InvalidReply(msgspec.Struct, frozen=True, tag="invalid"):
    reason: InvalidReason


Reply = (
    ChoiceReply | MultiChoiceReply | NumberReply | TextReply | SkipReply | DontKnowReply
    | InvalidReply
)

# Whole-message words. Not vetted translations: everyday ways to say it, reviewed
# with the instrument like every other SMS string.
SKIP_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("skip", "pass", "next", "skip it", "skip question"),
    "es": ("saltar", "omitir", "pasar", "siguiente", "paso"),
    "zh_Hans": ("跳过", "下一题"),
    "zh_Hant": ("跳過", "下一題"),
    "vi": ("bỏ qua", "tiếp", "qua"),
    "tl": ("laktaw", "laktawan", "lampasan", "susunod"),
    "ru": ("пропустить", "пропуск", "дальше", "далее"),
    "uk": ("пропустити", "пропуск", "далі"),
    "ko": ("건너뛰기", "건너뛰어", "패스", "스킵", "다음"),
    "so": ("ka bood", "dhaaf"),
    "am": ("ዝለል", "እለፍ"),
    "pa": ("ਛੱਡੋ", "ਅਗਲਾ"),
    "km": ("រំលង", "បន្ទាប់"),
    "ar": ("تخطي", "تخطى", "التالي"),
}

DONT_KNOW_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("dont know", "i dont know", "do not know", "idk", "dk", "not sure", "unsure"),
    "es": ("no sé", "no lo sé", "no estoy seguro", "no estoy segura", "ns"),
    "zh_Hans": ("不知道", "我不知道", "不清楚", "不确定"),
    "zh_Hant": ("不知道", "我不知道", "不清楚", "不確定"),
    "vi": ("không biết", "ko biết", "k biết", "tôi không biết", "không rõ", "không chắc"),
    "tl": ("hindi ko alam", "di ko alam", "ewan", "ewan ko", "hindi sigurado", "di sigurado"),
    "ru": ("не знаю", "я не знаю", "затрудняюсь ответить", "не уверен", "не уверена"),
    "uk": ("не знаю", "я не знаю", "важко відповісти", "не впевнений", "не впевнена"),
    "ko": ("모름", "모르겠어요", "모르겠습니다", "몰라요", "잘 모르겠어요", "잘 모르겠음"),
    "so": ("ma garanayo", "ma aqaan", "garan maayo", "ma hubo"),
    "am": ("አላውቅም", "እርግጠኛ አይደለሁም"),
    "pa": ("ਪਤਾ ਨਹੀਂ", "ਮੈਨੂੰ ਨਹੀਂ ਪਤਾ", "ਪੱਕਾ ਨਹੀਂ"),
    "km": ("មិនដឹង", "ខ្ញុំមិនដឹង", "មិនប្រាកដ"),
    "ar": ("لا أعرف", "لا اعرف", "لا أدري", "مش عارف", "لست متأكدا", "مش متأكد"),
}

_SKIP = frozenset(fold(w) for words in SKIP_WORDS.values() for w in words)
_DONT_KNOW = frozenset(fold(w) for words in DONT_KNOW_WORDS.values() for w in words)

_CJK_NUMERALS = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
}

# Words allowed between numbers of a multiple choice: "1, 3 and 5".
_CONJUNCTIONS = frozenset(
    fold(w) for w in ("and", "y", "e", "và", "va", "at", "и", "і", "та", "和", "및", "iyo", "و")
)

_DIGITS = re.compile(r"\d+")
_NEGATIVE = re.compile(r"\s*[-\u2212]\s*\d")


def _normalise(text: str) -> str:
    """Tokens separated by single spaces, digits in ASCII."""
    return to_ascii_digits(light(text))


# A label that writes both grammatical genders at once: "No estoy seguro/a",
# "Не уверен(а)". People reply with one of them, never with the slash.
_BOTH_GENDERS = re.compile(r"(\w+)(?:\((\w{1,2})\)|/(\w{1,2}))(?!\w)")


def _label_forms(label: str) -> set[str]:
    """The folded label, and its one-gender readings if it writes both."""
    forms = {fold(label)}

    def ending(m: re.Match[str]) -> str:
        return m[2] or m[3]

    if not any(ending(m).islower() for m in _BOTH_GENDERS.finditer(label)):
        return forms
    # The base ("seguro", "уверен"), an added ending ("уверен" + "а") and a swapped
    # one ("segur" + "a").
    for mode in ("base", "added", "swapped"):

        def reading(m: re.Match[str], mode: str = mode) -> str:
            end = ending(m)
            if not end.islower():
                return m[0]
            if mode == "base":
                return m[1]
            return m[1] + end if mode == "added" else m[1][: -len(end)] + end

        forms.add(fold(_BOTH_GENDERS.sub(reading, label)))
    return forms


def _by_label(labels: Mapping[str, int]) -> dict[str, int]:
    """Folded label forms -> option number; a form two options share picks neither."""
    exact = {fold(label): number for label, number in labels.items()}
    out: dict[str, int] = {}
    clashes: set[str] = set()
    for label, number in labels.items():
        for form in _label_forms(label):
            if out.get(form, number) != number:
                clashes.add(form)
            out[form] = number
    for form in clashes:
        del out[form]
    return out | exact


def means_dont_know(label: str) -> bool:
    """Whether an option's label is itself a don't-know phrase ("Not sure")."""
    return bool(_label_forms(label) & _DONT_KNOW)


def _special(text: str) -> SkipReply | DontKnowReply | None:
    key = fold(text)
    if key in _SKIP:
        return SkipReply()
    if key in _DONT_KNOW:
        return DontKnowReply()
    return None


def _leading_number(tokens: list[str]) -> int | InvalidReply:
    """The number a reply starts with, if the rest has no other number."""
    if not tokens:
        return InvalidReply(InvalidReason.EMPTY)
    head, rest = tokens[0], tokens[1:]
    if any(_DIGITS.search(t) or t in _CJK_NUMERALS for t in rest):
        return InvalidReply(InvalidReason.AMBIGUOUS)
    if head.isascii() and head.isdigit():
        # Cap the length: int() of a 5,000-digit string is slow and refused.
        return int(head) if len(head) <= 6 else InvalidReply(InvalidReason.OUT_OF_RANGE)
    if head in _CJK_NUMERALS and not rest:
        return _CJK_NUMERALS[head]
    return InvalidReply(InvalidReason.NOT_A_NUMBER)


def parse_choice(
    text: str,
    numbers: Collection[int],
    *,
    dont_know_number: int | None = None,
    labels: Mapping[str, int] | None = None,
) -> Reply:
    """Parse a single-choice reply.

    ``numbers`` are the option numbers shown in the prompt (the don't-know
    number, if any, is passed separately). ``labels`` maps option label text in
    the person's language to its number, so "Very safe" works as well as "5".
    An offered label comes before the skip and don't-know words: "Not sure" on
    an item offering "3=Not sure" is option 3, not a don't know.
    """
    if labels:
        hit = _by_label(labels).get(fold(text))
        if hit is not None:
            return ChoiceReply(hit)
    special = _special(text)
    if special is not None:
        return special
    tokens = _normalise(text).split()
    if not tokens:
        return InvalidReply(InvalidReason.EMPTY)
    got = _leading_number(tokens)
    if isinstance(got, InvalidReply):
        return got
    if _NEGATIVE.match(to_ascii_digits(unicodedata.normalize("NFKC", text))):
        # Scales can run -2..2; "-2" must not read as 2 once punctuation is gone.
        got = -got
    if dont_know_number is not None and got == dont_know_number:
        return DontKnowReply()
    if got in numbers:
        return ChoiceReply(got)
    return InvalidReply(InvalidReason.OUT_OF_RANGE)


def parse_multi_choice(
    text: str,
    numbers: Collection[int],
    *,
    dont_know_number: int | None = None,
) -> Reply:
    """Parse "select all that apply": "1 3 5", "1,3,5", "1, 3 and 5".

    With at most 9 options, run-together digits ("135") are read one by one.
    The don't-know number counts only on its own.
    """
    special = _special(text)
    if special is not None:
        return special
    tokens = _normalise(text).split()
    if not tokens:
        return InvalidReply(InvalidReason.EMPTY)
    picked: list[int] = []
    for token in tokens:
        if fold(token) in _CONJUNCTIONS:
            continue
        if not (token.isascii() and token.isdigit()):
            return InvalidReply(InvalidReason.NOT_A_NUMBER)
        if len(token) > 6:
            return InvalidReply(InvalidReason.OUT_OF_RANGE)
        value = int(token)
        if value in numbers or value == dont_know_number:
            picked.append(value)
        elif max(numbers, default=0) <= 9 and len(token) > 1:
            picked.extend(int(d) for d in token)
        else:
            return InvalidReply(InvalidReason.OUT_OF_RANGE)
    if dont_know_number is not None and dont_know_number in picked:
        if len(set(picked)) == 1:
            return DontKnowReply()
        return InvalidReply(InvalidReason.AMBIGUOUS)
    if not picked:
        return InvalidReply(InvalidReason.EMPTY)
    if any(p not in numbers for p in picked):
        return InvalidReply(InvalidReason.OUT_OF_RANGE)
    return MultiChoiceReply(tuple(sorted(set(picked))))


_NUMBER_HEAD = re.compile(r"[#(\[]*\s*([+-]?\d[\d,.\u066b\u066c]*)(.*)", re.DOTALL)
_GROUPED = re.compile(r"[+-]?\d{1,3}([,.\u066c])\d{3}(?:\1\d{3})*")
_DECIMAL = re.compile(r"[+-]?\d+(?:[.,\u066b]\d+)?")


def parse_number(
    text: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = True,
) -> Reply:
    """Parse a number reply ("25", "٢٥", "1,000", "2.5", "2,5"), checking bounds.

    For whole-number items "1,000" and "1.000" are a thousand (grouping in threes);
    for decimal items one "." or "," (or Arabic ٫) is the decimal separator, as
    people in most of our languages write it. A unit word after the number is
    tolerated ("25 years"); a second number is ambiguous ("25-30").
    """
    special = _special(text)
    if special is not None:
        return special
    raw = to_ascii_digits(unicodedata.normalize("NFKC", text)).replace("\u2212", "-").strip()
    if not raw:
        return InvalidReply(InvalidReason.EMPTY)
    match = _NUMBER_HEAD.fullmatch(raw)
    if match is None:
        return InvalidReply(InvalidReason.NOT_A_NUMBER)
    head, rest = match.group(1).rstrip(".,"), match.group(2)
    if _DIGITS.search(rest):
        return InvalidReply(InvalidReason.AMBIGUOUS)
    if len(head) > 20:
        return InvalidReply(InvalidReason.OUT_OF_RANGE)
    value: int | float
    if integer and _GROUPED.fullmatch(head):
        value = int(re.sub(r"[^\d+-]", "", head))
    elif _DECIMAL.fullmatch(head):
        normal = re.sub(r"[,\u066b]", ".", head)
        value = float(normal) if "." in normal else int(normal)
    else:
        return InvalidReply(InvalidReason.NOT_A_NUMBER)
    if integer and isinstance(value, float):
        if not value.is_integer():
            return InvalidReply(InvalidReason.NOT_A_NUMBER)
        value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return InvalidReply(InvalidReason.OUT_OF_RANGE)
    return NumberReply(value)


def parse_text(text: str, *, max_length: int | None = None) -> Reply:
    """Free text: kept as typed (trimmed), unless it is a skip/don't-know word."""
    special = _special(text)
    if special is not None:
        return special
    kept = text.strip()
    if not kept:
        return InvalidReply(InvalidReason.EMPTY)
    if max_length is not None and len(kept) > max_length:
        return InvalidReply(InvalidReason.TOO_LONG)
    return TextReply(kept)
