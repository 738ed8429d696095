"""Opt-out / opt-in / help keyword classification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.i18n import SUPPORTED_LOCALES
from survey.sms import stop_phrases
from survey.sms.keywords import (
    HELP,
    OPT_IN,
    OPT_OUT,
    KeywordKind,
    classify_keyword,
    kind_from_opt_out_type,
    mentions_opt_out,
)
from survey.sms.textnorm import fold, light

OUR_LANGUAGES = set(SUPPORTED_LOCALES)

TWILIO_OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]


@pytest.mark.parametrize("word", [*TWILIO_OPT_OUT, "ALTO"])
@pytest.mark.parametrize("style", [str.upper, str.lower, str.title])
def test_required_opt_out_words(word: str, style: object) -> None:
    assert callable(style)
    assert classify_keyword(style(word)).kind is KeywordKind.OPT_OUT


@pytest.mark.parametrize(
    "body",
    [" stop ", "Stop.", "STOP!!", "stop 🙏", "ＳＴＯＰ", "Opt-Out", "opt out", "STOP ALL",
     "NO MÁS", "no mas", "No más.", "¡ALTO!", "Cancelar", "\u200fتوقف", "الغاء", "إلغاء",
     "Стоп", "СТОП!", "відписатися", "退订", "TD", "수신거부", "dừng lại", "Dung lai", "Dừng",
     "tigil", "Jooji", "አቁም", "ਰੋਕੋ", "ឈប់", "stop\n"],
)
def test_opt_out_variants(body: str) -> None:
    assert classify_keyword(body).kind is KeywordKind.OPT_OUT


@pytest.mark.parametrize(
    "body",
    ["stop by the station", "please don't stop", "3", "", "   ", "no", "NO",
     "end of the street", "dung", "đúng", "Đúng", "alta", "stopp", "yes please"],
)
def test_not_keywords(body: str) -> None:
    assert classify_keyword(body).kind is KeywordKind.NONE


@pytest.mark.parametrize("body", ["START", "unstop", "Yes", "sí", "Si", "да", "네", "نعم"])
def test_opt_in(body: str) -> None:
    assert classify_keyword(body).kind is KeywordKind.OPT_IN


@pytest.mark.parametrize(
    "body", ["HELP", "help?", "Info", "AYUDA", "¿Ayuda?", "帮助", "幫助", "trợ giúp",
             "tro giup", "помощь", "도움말", "ਮਦਦ", "ជំនួយ", "مساعدة", "مساعده"],
)
def test_help(body: str) -> None:
    assert classify_keyword(body).kind is KeywordKind.HELP


def test_match_reports_languages() -> None:
    assert classify_keyword("ALTO").languages == ("es",)
    assert classify_keyword("стоп").languages == ("ru", "uk")
    assert classify_keyword("info").languages == ("en", "es")
    assert classify_keyword("hello").languages == ()


def test_every_language_has_every_kind() -> None:
    for table in (OPT_OUT, OPT_IN, HELP):
        assert set(table) == OUR_LANGUAGES


def test_lists_are_disjoint_after_folding() -> None:
    def keys(table: dict[str, tuple[str, ...]]) -> set[str]:
        return {fold(w.removeprefix("=")) for words in table.values() for w in words}

    out, inn, hlp = keys(OPT_OUT), keys(OPT_IN), keys(HELP)
    assert not out & inn
    assert not out & hlp
    assert not inn & hlp


def test_every_listed_word_classifies_as_its_kind() -> None:
    for kind, table in ((KeywordKind.OPT_OUT, OPT_OUT), (KeywordKind.OPT_IN, OPT_IN),
                        (KeywordKind.HELP, HELP)):
        for words in table.values():
            for w in words:
                word = w.removeprefix("=")
                assert classify_keyword(word).kind is kind, word
                assert classify_keyword(word.upper() + "!").kind is kind, word


def test_opt_out_type_field() -> None:
    assert kind_from_opt_out_type("STOP") is KeywordKind.OPT_OUT
    assert kind_from_opt_out_type("start") is KeywordKind.OPT_IN
    assert kind_from_opt_out_type("HELP") is KeywordKind.HELP
    assert kind_from_opt_out_type(None) is KeywordKind.NONE
    assert kind_from_opt_out_type("other") is KeywordKind.NONE


@pytest.mark.parametrize(
    ("body", "flag"),
    [("Please stop texting me", True), ("no me manden más mensajes", True),
     ("I want to unsubscribe.", True), ("请帮我退订", True), ("Ngừng gửi tin", True),
     ("The police stopped my car", False), ("The bus stop is dark", True),
     ("3", False), ("Very safe", False)],
)
def test_mentions_opt_out(body: str, flag: bool) -> None:
    assert mentions_opt_out(body) is flag


def test_normalisation_examples() -> None:
    assert light("  Don’t  KNOW!! ") == "dont know"
    assert fold("NO MÁS") == "no mas"
    assert fold("Không biết") == "khong biet"
    assert fold("إِلْغَاء") == fold("الغاء")
    # Marks of non-Latin scripts are letters and stay.
    assert fold("ਮਦਦ ਕਰੋ") == light("ਮਦਦ ਕਰੋ")
    assert fold("й") == "й"


@given(st.text(max_size=200))
def test_never_raises(body: str) -> None:
    match = classify_keyword(body)
    assert isinstance(match.kind, KeywordKind)
    assert isinstance(mentions_opt_out(body), bool)


@pytest.mark.parametrize(
    ("body", "languages"),
    [("please stop texting me", ("en",)), ("Stop texting me, please. Thanks!", ("en",)),
     ("Por favor, no me manden más mensajes", ("es",)), ("alto, gracias", ("es",)),
     ("Làm ơn ngừng lại", ("vi",)), ("пожалуйста, хватит", ("ru",)),
     ("будь ласка, досить", ("uk",)), ("من فضلك توقف", ("ar",)), ("제발 그만", ("ko",))],
)
def test_a_request_wrapped_in_courtesy_is_an_opt_out(
    body: str, languages: tuple[str, ...]
) -> None:
    match = classify_keyword(body)
    assert (match.kind, match.languages) == (KeywordKind.OPT_OUT, languages)


@pytest.mark.parametrize("body", ["yes please", "help please", "please", "thank you",
                                  "please stop the speeding", "the bus stop please"])
def test_courtesy_turns_nothing_else_into_a_keyword(body: str) -> None:
    assert classify_keyword(body).kind is KeywordKind.NONE


# -- everyday phrases (stop_phrases) -----------------------------------------------


@pytest.mark.parametrize(("body", "language"), [
    ("أوقف الرسائل", "ar"), ("اوقف الرسائل", "ar"), ("لا ترسلوا لي رسائل", "ar"),
    ("لا ترسل لي رسائل من فضلك", "ar"), ("توقفوا!", "ar"),
    ("不要再发短信了", "zh_Hans"), ("请停止发送", "zh_Hans"), ("别再给我发短信了", "zh_Hans"),
    ("请不要再发信息了，谢谢", "zh_Hans"), ("不要再發簡訊了", "zh_Hant"),
    ("đừng nhắn tin nữa", "vi"), ("Đừng nhắn tin nữa!", "vi"), ("dung nhan tin nua", "vi"),
    ("Vui lòng đừng gửi tin nhắn cho tôi nữa", "vi"), ("ngừng nhắn tin", "vi"),
    ("ya no me manden mensajes", "es"), ("no me escriban más", "es"),
    ("don't text me anymore", "en"), ("tama na po", "tl"), ("не пишите мне", "ru"),
    ("не пишіть мені", "uk"), ("문자 그만 보내세요", "ko"), ("jooji fariimaha", "so"),
    ("መልዕክት አትላኩ", "am"), ("ਮੈਸੇਜ ਨਾ ਭੇਜੋ", "pa"), ("សូមឈប់ផ្ញើសារ", "km"),
])
def test_everyday_phrases_are_opt_outs(body: str, language: str) -> None:
    match = classify_keyword(body)
    assert match.kind is KeywordKind.OPT_OUT, body
    assert language in match.languages


@pytest.mark.parametrize("body", [
    "你们为什么老给我发短信", "不要再给我发这种短信行吗", "لماذا ترسلون لي هذا؟ توقفوا",
    "لا ترسلوا هذه الرسائل مرة أخرى", "tại sao cứ nhắn tin hoài, đừng nhắn nữa đi",
    "why do you keep texting me, stop", "Basta ya con tantos mensajes",
    "문자 보내지마세요 진짜", "Пожалуйста, не пишите мне сюда больше никогда",
])
def test_longer_complaints_are_mentions_not_opt_outs(body: str) -> None:
    assert classify_keyword(body).kind is KeywordKind.NONE
    assert mentions_opt_out(body)


@pytest.mark.parametrize("body", [
    "希望多举办社区活动", "不要太吵", "是", "有", "三", "có", "Có", "đúng", "dung", "Đúng rồi",
    "Mong có thêm hoạt động cộng đồng", "نعم", "٣", "٥", "نتمنى المزيد من الأنشطة المجتمعية",
    "3", "５", "The police stopped my car", "希望发展社区经济",
])
def test_ordinary_answers_are_not_mentions(body: str) -> None:
    assert classify_keyword(body).kind is not KeywordKind.OPT_OUT
    assert not mentions_opt_out(body)


_PHRASES = [(lang, p) for lang, ps in stop_phrases.PHRASES.items() for p in ps]
_WRAPS = st.sampled_from(["{}", "{}.", "{}!", " {} ", "please {}", "{} thanks",
                          "por favor, {}", "làm ơn {} nhé", "من فضلك {}", "{} 🙏"])


@given(st.sampled_from(_PHRASES), _WRAPS, st.booleans())
def test_any_phrase_in_courtesy_is_an_opt_out_in_its_language(
    entry: tuple[str, str], wrap: str, upper: bool
) -> None:
    language, phrase = entry
    body = wrap.format(phrase.upper() if upper else phrase)
    match = classify_keyword(body)
    assert match.kind is KeywordKind.OPT_OUT, body
    assert language in match.languages


@given(st.integers(min_value=0, max_value=99999), st.sampled_from(["", "٠", "０", "០", "੦"]))
def test_numbers_in_any_script_are_never_mentions(number: int, zero: str) -> None:
    digits = str(number)
    if zero:
        digits = "".join(chr(ord(zero) + int(d)) for d in digits)
    assert not mentions_opt_out(digits)
    assert classify_keyword(digits).kind is KeywordKind.NONE
