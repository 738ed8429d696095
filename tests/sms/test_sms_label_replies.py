"""An option's own words pick the option, before any don't-know word: "Not sure" on
"1=Yes, 2=No, 3=Not sure" is 3, in every language the real SMS instrument has, with
the label read from that language's catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.i18n import Catalogs, translate_questionnaire
from survey.questionnaire import Answer, load_questionnaire, sms_choices
from survey.sms.item_replies import interpret_reply
from survey.sms.replies import DONT_KNOW_WORDS, ChoiceReply, parse_choice

ROOT = Path(__file__).resolve().parents[2]
Q = load_questionnaire(ROOT / "questionnaires" / "community-trust-sms.toml")
CATALOGS = Catalogs.load(ROOT / "locales")
NOT_SURE = Answer(value_codes=["not_sure"])


def not_sure_label(language: str) -> str:
    """The "Not sure" label of aware_program as a person in ``language`` is shown it."""
    localized = translate_questionnaire(CATALOGS, Q, language, allow_fuzzy=True)
    [choice] = [c for c in sms_choices(localized, localized.item("aware_program"))
                if c.value == "not_sure"]
    return choice.label


def one_gender(label: str) -> str:
    """"No estoy seguro/a" -> "no estoy seguro", "Не уверен(а)" -> "не уверен"."""
    for mark in ("/a", "(а)", "(a)"):
        label = label.replace(mark, "")
    return label.lower()


@pytest.mark.parametrize("language", Q.languages)
def test_not_sure_in_its_own_words_is_the_option(language: str) -> None:
    localized = translate_questionnaire(CATALOGS, Q, language, allow_fuzzy=True)
    item = localized.item("aware_program")
    label = not_sure_label(language)
    assert language == "en" or label != "Not sure", "the catalog should translate it"
    for reply in (label, label.upper(), f"  {label}. ", one_gender(label)):
        assert interpret_reply(localized, item, reply) == NOT_SURE, reply
    # The language's own "don't know" words mean the same option here, as the item
    # has no don't-know of its own; the number still works too.
    assert interpret_reply(localized, item, DONT_KNOW_WORDS[language][0]) == NOT_SURE
    assert interpret_reply(localized, item, "3") == NOT_SURE
    assert interpret_reply(localized, item, "1") == Answer(value_codes=["yes"])


def test_both_genders_of_a_label_are_understood() -> None:
    labels = {"Sí": 1, "No": 2, "No estoy seguro/a": 3}
    for reply in ("no estoy seguro", "No estoy segura", "NO ESTOY SEGURO/A"):
        assert parse_choice(reply, [1, 2, 3], labels=labels) == ChoiceReply(3), reply
    ru = {"Да": 1, "Нет": 2, "Не уверен(а)": 3}
    for reply in ("не уверен", "Не уверена", "не уверен(а)"):
        assert parse_choice(reply, [1, 2, 3], labels=ru) == ChoiceReply(3), reply
    # A slash between whole words is not a gender ending.
    assert parse_choice("yes", [1, 2], labels={"Yes/No": 1, "Yes": 2}) == ChoiceReply(2)
