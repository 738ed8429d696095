"""Language menu, per-item reply interpretation, webhook models, and the real SMS
instrument run through the engine in every language it is offered in."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sms_instrument import questionnaire

from survey.i18n import SUPPORTED_LOCALES, compose_sms_question
from survey.questionnaire import Answer, load_questionnaire
from survey.questionnaire.answers import MSG_NUMBER, MSG_SMS_REPLY
from survey.sms.conversation import Event, Setup, handle, start
from survey.sms.item_replies import Problem, interpret_reply
from survey.sms.keywords import is_provider_keyword
from survey.sms.menu import ASCII_NAMES, compose_language_menu, parse_language_choice
from survey.sms.segments import count_segments
from survey.sms.webhooks import parse_inbound, parse_status, status_rank

ROOT = Path(__file__).resolve().parents[2]


def test_every_locale_has_an_ascii_name() -> None:
    assert set(ASCII_NAMES) == set(SUPPORTED_LOCALES)
    assert all(name.isascii() for name in ASCII_NAMES.values())


@pytest.mark.parametrize("n", range(1, len(SUPPORTED_LOCALES) + 1))
@pytest.mark.parametrize("program", ["", "Safe Streets", "South Seattle Community Partnership "
                                     "for Public Safety and Trust", "Programa Niños"])
def test_menu_fits_one_gsm_segment_for_any_wave(n: int, program: str) -> None:
    languages = list(SUPPORTED_LOCALES)[-n:]
    menu = compose_language_menu(languages, program)
    assert menu.isascii()
    info = count_segments(menu)
    assert (info.encoding, info.segments) == ("GSM-7", 1)
    for number, code in enumerate(languages, start=1):
        assert f"{number} " in menu
        assert parse_language_choice(str(number), languages) == code


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("2", "es"), (" 2. ", "es"), ("٢", "es"), ("Español", "es"), ("espanol", "es"),
     ("Spanish", "es"), ("es", "es"), ("Tiếng Việt", "vi"), ("tieng viet", "vi"),
     ("VI", "vi"), ("4", None), ("0", None), ("", None), ("hola", None), ("1 2", None)],
)
def test_parse_language_choice(reply: str, expected: str | None) -> None:
    assert parse_language_choice(reply, ["en", "es", "vi"]) == expected


def test_parse_chinese_scripts() -> None:
    both = ["zh_Hans", "zh_Hant"]
    assert parse_language_choice("简体中文", both) == "zh_Hans"
    assert parse_language_choice("繁體中文", both) == "zh_Hant"
    assert parse_language_choice("Fanti", both) == "zh_Hant"
    assert parse_language_choice("中文", both) == "zh_Hans"
    assert parse_language_choice("Mandarin", both, preferred="en") == "zh_Hans"
    assert parse_language_choice("中文", both, preferred="zh_Hant") == "zh_Hant"
    assert parse_language_choice("Traditional", both) == "zh_Hant"


@pytest.mark.parametrize("reply", ["Chinese", "中文", "Mandarin", "普通话", "汉语", "Zhongwen"])
@pytest.mark.parametrize("script", ["zh_Hans", "zh_Hant"])
def test_chinese_names_pick_the_only_script_offered(reply: str, script: str) -> None:
    assert parse_language_choice(reply, ["en", "es", "vi", "so", script]) == script


def test_interpret_reply_per_kind() -> None:
    q = questionnaire()
    safety, contact, count, sources, comment = q.items
    assert interpret_reply(q, safety, "4") == Answer(value_num=4.0)
    assert interpret_reply(q, safety, "very safe") == Answer(value_num=4.0)
    assert interpret_reply(q, safety, "0") == Answer(missing="dont_know")
    assert interpret_reply(q, safety, "idk") == Answer(missing="dont_know")
    assert interpret_reply(q, safety, "5") == Problem(MSG_SMS_REPLY)
    assert interpret_reply(q, contact, "Yes") == Answer(value_codes=["yes"])
    assert interpret_reply(q, contact, "0") == Problem(MSG_SMS_REPLY)
    assert interpret_reply(q, count, "3 times") == Answer(value_num=3.0)
    assert interpret_reply(q, count, "lots") == Problem(MSG_NUMBER)
    too_big = interpret_reply(q, count, "51")
    assert isinstance(too_big, Problem) and too_big.params == {"max": "50"}
    whole = interpret_reply(q, count, "2.5")
    assert isinstance(whole, Problem) and "whole" in whole.message
    assert interpret_reply(q, sources, "3,1") == Answer(value_codes=["tv", "online"])
    assert interpret_reply(q, sources, "0") == Answer(missing="prefer_not")
    assert interpret_reply(q, sources, "1 0") == Problem(MSG_SMS_REPLY)
    assert interpret_reply(q, comment, "  Más luz.  ") == Answer(value_text="Más luz.")
    assert interpret_reply(q, comment, "x" * 201) == Problem(
        "Please keep your answer under %(max)d characters.", {"max": 200}
    )


@given(st.text(max_size=60))
def test_interpret_reply_never_raises(text: str) -> None:
    q = questionnaire()
    for item in q.items:
        result = interpret_reply(q, item, text)
        assert isinstance(result, Answer | Problem)


def test_provider_keywords_are_twilio_exact_words() -> None:
    assert is_provider_keyword(" STOP ") and is_provider_keyword("unstop")
    assert not is_provider_keyword("Stop.") and not is_provider_keyword("ALTO")
    assert not is_provider_keyword("help")


def test_webhook_models_allow_unknown_fields() -> None:
    form = {"MessageSid": "SM1", "From": "+1", "To": "+2", "Body": "hi", "NumMedia": "0",
            "NumSegments": "1", "OptOutType": "STOP", "SomethingNew": "x"}
    inbound = parse_inbound(form)
    assert (inbound.opt_out_type, inbound.num_media) == ("STOP", 0)
    assert parse_inbound([("MessageSid", "SM1"), ("From", "+1"), ("From", "+9")]).from_ == "+1"
    with pytest.raises(msgspec.ValidationError):
        parse_inbound({"From": "+1"})
    failed = parse_status({"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "30007"})
    assert failed.error_code == 30007
    assert parse_status({"MessageSid": "SM1", "MessageStatus": "sent", "ErrorCode": ""}) \
        .error_code is None
    assert status_rank("delivered") > status_rank("sent") > status_rank("queued")
    assert status_rank("undelivered") > status_rank("sent")
    assert status_rank("bogus") == -1


@pytest.mark.parametrize("language", list(SUPPORTED_LOCALES))
def test_real_sms_instrument_runs_in_every_language(language: str) -> None:
    q = load_questionnaire(ROOT / "questionnaires" / "community-trust-sms.toml")
    s = Setup(questionnaire=q, languages=tuple(q.languages), program="Safe Streets",
              help_contact="206-555-0100")
    menu = start(s)
    assert count_segments(menu.messages[0]).segments == 1
    number = q.languages.index(language) + 1
    step = handle(s, menu.state, str(number))
    assert step.state.language == language and Event.LANGUAGE_CHOSEN in step.events
    state = step.state
    localized = s.localized(language)
    sent = [step.messages[-1]]
    for _ in range(len(q.items)):
        step = handle(s, state, "1")
        state = step.state
        sent.append(step.messages[-1])
    assert state.status == "completed"
    assert len(state.answers) == len(q.items)
    # Each question as sent is exactly what the cost estimate composes.
    assert sent == [compose_sms_question(localized, item) for item in localized.items] + [
        localized.thanks
    ]
