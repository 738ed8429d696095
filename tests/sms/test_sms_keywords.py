"""Opt-out / opt-in / help keyword classification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.i18n import SUPPORTED_LOCALES
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
