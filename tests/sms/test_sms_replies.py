"""Reply parsing: digits in many scripts, skip / don't know words, numbers, text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.i18n import SUPPORTED_LOCALES
from survey.sms.keywords import KeywordKind, classify_keyword
from survey.sms.replies import (
    DONT_KNOW_WORDS,
    SKIP_WORDS,
    ChoiceReply,
    DontKnowReply,
    InvalidReason,
    InvalidReply,
    MultiChoiceReply,
    NumberReply,
    SkipReply,
    TextReply,
    parse_choice,
    parse_multi_choice,
    parse_number,
    parse_text,
)

# Code point of digit zero in scripts our residents may type in.
DIGIT_ZEROS = {
    "ascii": 0x30,
    "arabic-indic": 0x660,
    "persian": 0x6F0,
    "devanagari": 0x966,
    "bengali": 0x9E6,
    "gurmukhi": 0xA66,
    "thai": 0xE50,
    "khmer": 0x17E0,
    "myanmar": 0x1040,
    "fullwidth": 0xFF10,
}


OUR_LANGUAGES = set(SUPPORTED_LOCALES)

# Free-text answers in each language (not keywords, not skip words).
SAMPLE_TEXT = {
    "en": "The officers were polite.",
    "es": "Los policías fueron amables con mi familia.",
    "zh_Hans": "警察很有礼貌。",
    "zh_Hant": "警察很有禮貌。",
    "vi": "Cảnh sát rất lịch sự.",
    "tl": "Magalang ang mga pulis.",
    "ru": "Полицейские были вежливы.",
    "uk": "Поліцейські були ввічливі.",
    "ko": "경찰관들이 친절했어요.",
    "so": "Booliisku way edeb lahaayeen.",
    "am": "ፖሊሶቹ ጨዋ ነበሩ።",
    "pa": "ਪੁਲਿਸ ਵਾਲੇ ਨਿਮਰ ਸਨ।",
    "km": "ប៉ូលីសគួរសម។",
    "ar": "كان رجال الشرطة مهذبين.",
}


def in_script(number: int, script: str) -> str:
    zero = DIGIT_ZEROS[script]
    return "".join(chr(zero + int(d)) for d in str(number))


FIVE = range(1, 6)


@pytest.mark.parametrize(
    "body", ["3", " 3 ", "3.", "3)", "(3)", "#3", "３", "٣", "۳", "३", "੩", "៣", "三",
             "3 - sometimes", "3 a veces", "3\n"],
)
def test_choice_three(body: str) -> None:
    assert parse_choice(body, FIVE) == ChoiceReply(3)


@pytest.mark.parametrize(
    ("body", "reason"),
    [("", InvalidReason.EMPTY), ("  ", InvalidReason.EMPTY), ("...", InvalidReason.EMPTY),
     ("6", InvalidReason.OUT_OF_RANGE), ("0", InvalidReason.OUT_OF_RANGE),
     ("3 or 4", InvalidReason.AMBIGUOUS), ("3,4", InvalidReason.AMBIGUOUS),
     ("maybe", InvalidReason.NOT_A_NUMBER), ("I'd say 3", InvalidReason.AMBIGUOUS),
     ("3rd", InvalidReason.NOT_A_NUMBER), ("9" * 5000, InvalidReason.OUT_OF_RANGE)],
)
def test_choice_invalid(body: str, reason: InvalidReason) -> None:
    assert parse_choice(body, FIVE) == InvalidReply(reason)


def test_choice_dont_know_number_and_words() -> None:
    assert parse_choice("0", FIVE, dont_know_number=0) == DontKnowReply()
    assert parse_choice("9", FIVE, dont_know_number=9) == DontKnowReply()
    assert parse_choice("No sé", FIVE) == DontKnowReply()
    assert parse_choice("dont know", FIVE) == DontKnowReply()
    assert parse_choice("Don’t know.", FIVE) == DontKnowReply()
    assert parse_choice("không biết", FIVE) == DontKnowReply()
    assert parse_choice("khong biet", FIVE) == DontKnowReply()


def test_choice_skip_words() -> None:
    for body in ["SKIP", "skip", "Saltar", "bỏ qua", "bo qua", "пропустить", "跳过", "건너뛰기"]:
        assert parse_choice(body, FIVE) == SkipReply(), body


def test_choice_by_label() -> None:
    labels = {"Muy seguro": 5, "Nada seguro": 1}
    assert parse_choice("muy seguro", FIVE, labels=labels) == ChoiceReply(5)
    assert parse_choice("MUY SEGURO!", FIVE, labels=labels) == ChoiceReply(5)
    assert parse_choice("5", FIVE, labels=labels) == ChoiceReply(5)


def test_choice_with_negative_points() -> None:
    scale = range(-2, 3)
    assert parse_choice("-2", scale) == ChoiceReply(-2)
    assert parse_choice("−1", scale) == ChoiceReply(-1)
    assert parse_choice("2", scale) == ChoiceReply(2)
    assert parse_choice("-3", scale) == InvalidReply(InvalidReason.OUT_OF_RANGE)
    assert parse_choice("-2", FIVE) == InvalidReply(InvalidReason.OUT_OF_RANGE)


def test_choice_with_zero_based_scale() -> None:
    scale = range(0, 11)
    assert parse_choice("0", scale) == ChoiceReply(0)
    assert parse_choice("10", scale) == ChoiceReply(10)
    assert parse_choice("١٠", scale) == ChoiceReply(10)
    assert parse_choice("11", scale) == InvalidReply(InvalidReason.OUT_OF_RANGE)


@pytest.mark.parametrize(
    ("body", "expected"),
    [("1 3 5", MultiChoiceReply((1, 3, 5))), ("1,3,5", MultiChoiceReply((1, 3, 5))),
     ("5, 1 and 3", MultiChoiceReply((1, 3, 5))), ("1 y 3", MultiChoiceReply((1, 3))),
     ("135", MultiChoiceReply((1, 3, 5))), ("3 3", MultiChoiceReply((3,))),
     ("٢ ٤", MultiChoiceReply((2, 4))), ("2", MultiChoiceReply((2,))),
     ("9", DontKnowReply()), ("1 9", InvalidReply(InvalidReason.AMBIGUOUS)),
     ("1 7", InvalidReply(InvalidReason.OUT_OF_RANGE)),
     ("1 and more", InvalidReply(InvalidReason.NOT_A_NUMBER)),
     ("skip", SkipReply()), ("", InvalidReply(InvalidReason.EMPTY))],
)
def test_multi_choice(body: str, expected: object) -> None:
    assert parse_multi_choice(body, FIVE, dont_know_number=9) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [("25", NumberReply(25)), ("٢٥", NumberReply(25)), ("25 years", NumberReply(25)),
     ("25 años.", NumberReply(25)), ("1,000", NumberReply(1000)), ("1.000", NumberReply(1000)),
     ("-3", NumberReply(-3)), ("−3", NumberReply(-3)), ("25.", NumberReply(25)),
     ("25-30", InvalidReply(InvalidReason.AMBIGUOUS)),
     ("2.5", InvalidReply(InvalidReason.NOT_A_NUMBER)),
     ("about 25", InvalidReply(InvalidReason.NOT_A_NUMBER)),
     ("2000", InvalidReply(InvalidReason.OUT_OF_RANGE)), ("skip", SkipReply()),
     ("no sé", DontKnowReply()), ("", InvalidReply(InvalidReason.EMPTY))],
)
def test_number_integer(body: str, expected: object) -> None:
    assert parse_number(body, minimum=-10, maximum=1500) == expected


def test_number_decimal() -> None:
    assert parse_number("2.5", integer=False) == NumberReply(2.5)
    assert parse_number("2,5", integer=False) == NumberReply(2.5)
    assert parse_number("٢٫٥", integer=False) == NumberReply(2.5)
    assert parse_number("3", integer=False) == NumberReply(3)
    assert parse_number("1.2.3", integer=False) == InvalidReply(InvalidReason.NOT_A_NUMBER)


def test_text() -> None:
    assert parse_text("  Good job  ") == TextReply("Good job")
    assert parse_text("skip") == SkipReply()
    assert parse_text("") == InvalidReply(InvalidReason.EMPTY)
    assert parse_text("x" * 11, max_length=10) == InvalidReply(InvalidReason.TOO_LONG)


def test_word_lists_cover_our_languages_and_avoid_keywords() -> None:
    assert set(SKIP_WORDS) == OUR_LANGUAGES
    assert set(DONT_KNOW_WORDS) == OUR_LANGUAGES
    for table in (SKIP_WORDS, DONT_KNOW_WORDS):
        for words in table.values():
            for word in words:
                # A skip word must never opt someone out or trigger HELP.
                assert classify_keyword(word).kind is KeywordKind.NONE, word


def test_every_listed_word_parses() -> None:
    for words in SKIP_WORDS.values():
        for word in words:
            assert parse_choice(word.upper(), FIVE) == SkipReply(), word
    for words in DONT_KNOW_WORDS.values():
        for word in words:
            assert parse_choice(word + "!", FIVE) == DontKnowReply(), word


# --- properties -------------------------------------------------------------

scripts = st.sampled_from(sorted(DIGIT_ZEROS))
decorations = st.sampled_from(["{}", " {} ", "{}.", "({})", "#{}", "{})", "{}\n", "\t{}!"])


@given(st.integers(1, 99), st.integers(1, 99), scripts, decorations)
def test_choice_round_trips_digits_in_every_script(
    k: int, n: int, script: str, decoration: str
) -> None:
    body = decoration.format(in_script(k, script))
    got = parse_choice(body, range(1, n + 1))
    if k <= n:
        assert got == ChoiceReply(k)
    else:
        assert got == InvalidReply(InvalidReason.OUT_OF_RANGE)


@given(st.integers(0, 10**9), scripts, st.sampled_from(["{}", "{} ", "{}."]))
def test_number_round_trips_digits_in_every_script(k: int, script: str, decoration: str) -> None:
    assert parse_number(decoration.format(in_script(k, script))) == NumberReply(k)


@given(st.lists(st.integers(1, 12), min_size=1, max_size=6, unique=True), scripts)
def test_multi_choice_round_trips(picks: list[int], script: str) -> None:
    body = ", ".join(in_script(p, script) for p in picks)
    assert parse_multi_choice(body, range(1, 13)) == MultiChoiceReply(tuple(sorted(picks)))


@given(st.sampled_from(sorted(SAMPLE_TEXT)))
def test_free_text_kept_verbatim_in_every_language(lang: str) -> None:
    body = SAMPLE_TEXT[lang]
    assert parse_text(f"  {body}\n") == TextReply(body)
    assert classify_keyword(body).kind is KeywordKind.NONE
    assert isinstance(parse_choice(body, FIVE), InvalidReply)


any_reply_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(list(SAMPLE_TEXT.values())),
    st.builds(lambda s, n: s + str(n), st.text(max_size=20), st.integers(-(10**30), 10**30)),
)


@given(any_reply_text, st.integers(0, 12), st.one_of(st.none(), st.integers(0, 99)))
def test_parsers_never_raise(body: str, n: int, dk: int | None) -> None:
    numbers = range(1, n + 1)
    for got in (
        parse_choice(body, numbers, dont_know_number=dk, labels={"yes": 1}),
        parse_multi_choice(body, numbers, dont_know_number=dk),
        parse_number(body, minimum=0, maximum=100),
        parse_number(body, integer=False),
        parse_text(body, max_length=160),
    ):
        assert isinstance(
            got,
            ChoiceReply | MultiChoiceReply | NumberReply | TextReply | SkipReply
            | DontKnowReply | InvalidReply,
        )
    got = parse_choice(body, numbers, dont_know_number=dk)
    if isinstance(got, ChoiceReply):
        assert got.number in numbers
