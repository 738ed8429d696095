"""Answer validation (web and SMS), skip logic, and construct scoring."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.questionnaire import (
    Answer,
    AnswerError,
    Questionnaire,
    effective_answers,
    load_questionnaire,
    next_item,
    pages,
    parse_sms_reply,
    score_construct,
    sms_choices,
    validate_answer,
    visible_items,
)
from survey.questionnaire.flow import progress

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire(ROOT / "questionnaires" / "community-trust.toml")


def test_answer_has_exactly_one_value() -> None:
    with pytest.raises(ValueError):
        Answer()
    with pytest.raises(ValueError):
        Answer(value_num=1.0, missing="skipped")


def test_likert(q: Questionnaire) -> None:
    item = q.item("pj_respect")
    assert validate_answer(item, "4") == Answer(value_num=4.0)
    assert validate_answer(item, "dont_know") == Answer(missing="dont_know")
    assert validate_answer(item, "") == Answer(missing="skipped")
    assert validate_answer(item, None) == Answer(missing="skipped")
    for bad in ("6", "0", "x", ["1", "2"], "prefer_not"):
        with pytest.raises(AnswerError) as info:
            validate_answer(item, bad)
        assert info.value.item_id == "pj_respect"
        assert info.value.code == "invalid_answer"


def test_single_and_multi_choice(q: Questionnaire) -> None:
    assert validate_answer(q.item("contact_12m"), "yes") == Answer(value_codes=["yes"])
    assert validate_answer(q.item("contact_12m"), "prefer_not") == Answer(missing="prefer_not")
    with pytest.raises(AnswerError, match="choose one"):
        validate_answer(q.item("contact_12m"), "maybe")
    multi = q.item("race_ethnicity")
    # Stored in option order, not click order.
    assert validate_answer(multi, ["white", "asian"]) == Answer(value_codes=["asian", "white"])
    participate = q.item("participate_kinds")
    with pytest.raises(AnswerError) as info:
        validate_answer(participate, ["none", "meeting"])
    assert info.value.message.startswith("“%(option)s”")
    assert info.value.params == {"option": "None of these"}


def test_number_accepts_native_digits(q: Questionnaire) -> None:
    item = q.item("participate_count")
    assert validate_answer(item, "12") == Answer(value_num=12.0)
    assert validate_answer(item, "١٢") == Answer(value_num=12.0)  # Arabic-Indic
    assert validate_answer(item, "１２") == Answer(value_num=12.0)  # fullwidth
    with pytest.raises(AnswerError, match="whole number"):
        validate_answer(item, "2.5")
    with pytest.raises(AnswerError) as info:
        validate_answer(item, "0")
    assert info.value.params == {"min": "1"}
    with pytest.raises(AnswerError, match="Please enter a number"):
        validate_answer(item, "twelve")


def test_text_is_kept_as_typed(q: Questionnaire) -> None:
    item = q.item("comment")
    assert validate_answer(item, "  ＡＢ é  ") == Answer(value_text="ＡＢ é")
    with pytest.raises(AnswerError) as info:
        validate_answer(item, "x" * 2001)
    assert info.value.params == {"max": 2000}


def test_error_messages_are_translatable_msgids(q: Questionnaire) -> None:
    with pytest.raises(AnswerError) as info:
        validate_answer(q.item("participate_count"), "500")
    exc = info.value
    assert exc.message == "Please enter a number no larger than %(max)s."
    assert str(exc) == "Please enter a number no larger than 200."


def test_sms_replies(q: Questionnaire) -> None:
    item = q.item("pj_respect")
    replies = {c.reply: c.value for c in sms_choices(q, item)}
    assert replies == {"1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "0": "dont_know"}
    assert parse_sms_reply(q, item, " 4. ") == Answer(value_num=4.0)
    assert parse_sms_reply(q, item, "٣") == Answer(value_num=3.0)
    assert parse_sms_reply(q, item, "0") == Answer(missing="dont_know")
    with pytest.raises(AnswerError, match="numbers shown"):
        parse_sms_reply(q, item, "7")
    multi = q.item("race_ethnicity")
    assert parse_sms_reply(q, multi, "2, 7") == Answer(value_codes=["asian", "white"])
    assert parse_sms_reply(q, multi, "0") == Answer(missing="prefer_not")


SMS_FORM = load_questionnaire(ROOT / "questionnaires" / "community-trust-sms.toml")


@given(st.text(max_size=30))
def test_sms_parsing_either_answers_or_reprompts(reply: str) -> None:
    q = SMS_FORM
    for item in q.items:
        try:
            answer = parse_sms_reply(q, item, reply)
        except AnswerError:
            continue
        assert isinstance(answer, Answer)


def test_skip_logic_follows_contact(q: Questionnaire) -> None:
    shown = {i.id for i in visible_items(q, {})}
    assert "enc_respect" not in shown and "participate_kinds" not in shown
    yes = {"contact_12m": Answer(value_codes=["yes"])}
    assert "enc_respect" in {i.id for i in visible_items(q, yes)}
    refused = {"contact_12m": Answer(missing="prefer_not")}
    assert "enc_respect" not in {i.id for i in visible_items(q, refused)}


def test_hidden_answers_stop_counting_down_the_chain(q: Questionnaire) -> None:
    answers = {
        "aware_program": Answer(value_codes=["yes"]),
        "participate_kinds": Answer(value_codes=["meeting"]),
        "participate_count": Answer(value_num=3.0),
    }
    assert "participate_count" in {i.id for i in visible_items(q, answers)}
    answers["aware_program"] = Answer(value_codes=["no"])
    shown = {i.id for i in visible_items(q, answers)}
    assert "participate_kinds" not in shown and "participate_count" not in shown
    assert set(effective_answers(q, answers)) == {"aware_program"}


def test_pages_and_next_item(q: Questionnaire) -> None:
    first = pages(q, {})
    assert first[0].section.id == "neighborhood" and first[0].number == 1
    assert [p.number for p in first] == list(range(1, len(first) + 1))
    assert next_item(q, {}) == q.item("safety_dark")
    answered = {item.id: Answer.skipped() for item in visible_items(q, {})}
    assert next_item(q, answered) is None
    assert progress(q, answered)[0] == progress(q, answered)[1]


def test_scoring_more_than_half_and_reverse(q: Questionnaire) -> None:
    lawfulness = q.construct("lawfulness")  # 4 items, 2 reverse-coded, 1-5
    answers = {"law_follow": Answer(value_num=5.0), "law_force": Answer(value_num=1.0)}
    assert score_construct(q, lawfulness, answers) is None  # 2 of 4 is not more than half
    answers["law_stop"] = Answer(missing="dont_know")
    assert score_construct(q, lawfulness, answers) is None  # don't know is not an answer
    answers["law_rights"] = Answer(value_num=4.0)
    score = score_construct(q, lawfulness, answers)
    assert score is not None
    assert score.mean == pytest.approx((5 + 5 + 4) / 3)  # law_force 1 → 5
    assert score.display == pytest.approx(100 * (score.mean - 1) / 4)
    assert (score.answered, score.items) == (3, 4)


def test_single_item_and_four_point_display(q: Questionnaire) -> None:
    safety = q.construct("safety")
    low = score_construct(q, safety, {"safety_dark": Answer(value_num=1.0)})
    high = score_construct(q, safety, {"safety_dark": Answer(value_num=4.0)})
    assert low is not None and high is not None
    assert (low.display, high.display) == (0.0, 100.0)
    assert score_construct(q, safety, {"safety_dark": Answer(missing="dont_know")}) is None


def test_numeric_raw_values(q: Questionnaire) -> None:
    assert validate_answer(q.item("pj_respect"), 4) == Answer(value_num=4.0)
    assert validate_answer(q.item("pj_respect"), 4.0) == Answer(value_num=4.0)
    with pytest.raises(AnswerError):
        validate_answer(q.item("pj_respect"), 4.5)
    with pytest.raises(AnswerError):
        validate_answer(q.item("pj_respect"), "nan")


def test_clean_text_drops_c0_controls_but_tab_and_line_breaks() -> None:
    from survey.questionnaire.answers import clean_text

    assert clean_text("hola\x00 a\tb\r\nc\x07\x1b\x1f") == "hola a\tb\r\nc"
    assert clean_text("plain") == "plain" and clean_text("") == ""
    assert clean_text("ناس\u200f 中文") == "ناس\u200f 中文"  # not C0: kept as typed
