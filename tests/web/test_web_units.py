"""Pure parts of the web survey: CSRF tokens, paging under skip logic, form parsing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from survey.questionnaire import Answer, AnswerError
from survey.services.paging import find_page, is_last_page, resume_section, section_after
from survey.services.responses import Either, validate_raw
from survey.web import csrf, fields
from survey.web.formdata import Form


def test_csrf_tokens_are_bound_to_link_and_purpose() -> None:
    token = csrf.issue("secret", "12-abc", "page:trust")
    assert csrf.valid("secret", "12-abc", "page:trust", token)
    assert token != csrf.issue("secret", "12-abc", "page:trust")  # a fresh nonce each time
    assert not csrf.valid("secret", "12-abd", "page:trust", token)
    assert not csrf.valid("secret", "12-abc", "page:program", token)
    assert not csrf.valid("other", "12-abc", "page:trust", token)
    assert not csrf.valid("secret", "", "page:trust", token)
    for bad in (None, "", "nodot", ".", token + "0", "x" * 200):
        assert not csrf.valid("secret", "12-abc", "page:trust", bad)


def test_timed_tokens_expire_and_are_not_form_tokens() -> None:
    now = time.time()
    token = csrf.issue_timed("secret", "key", "resume")
    assert csrf.valid_timed("secret", "key", "resume", token, 600)
    old = csrf.issue_timed("secret", "key", "resume", now=now - 601)
    assert not csrf.valid_timed("secret", "key", "resume", old, 600)
    assert csrf.valid_timed("secret", "key", "resume", old, 700)
    # The time is signed: a changed stamp fails, and so does another key or purpose.
    mac = token.partition(".")[2]
    assert not csrf.valid_timed("secret", "key", "resume", f"{int(now) + 5}.{mac}", 600)
    assert not csrf.valid_timed("secret", "other", "resume", token, 600)
    assert not csrf.valid_timed("secret", "key", "start", token, 600)
    assert not csrf.valid("secret", "key", "resume", token)
    form = csrf.issue("secret", "key", "resume")
    assert not csrf.valid_timed("secret", "key", "resume", form, 600)
    for bad in (None, "", "1", "x.y", "١٢٣.abc"):
        assert not csrf.valid_timed("secret", "key", "resume", bad, 600)


@pytest.fixture
def q(resources_base: Any) -> Any:
    return resources_base.questionnaires["community-trust"]


def _answer_all(q: Any, section: str) -> dict[str, Answer]:
    return {i.id: Answer(value_num=1.0) for i in q.items if i.section == section}


def test_paging_follows_skip_logic(q: Any) -> None:
    answers: dict[str, Answer] = {}
    assert resume_section(q, answers) == "neighborhood"
    assert find_page(q, answers, "neighborhood") is not None
    assert find_page(q, answers, "trust") is None  # no skipping ahead
    assert find_page(q, answers, "no-such-section") is None
    answers.update(_answer_all(q, "neighborhood"))
    assert resume_section(q, answers) == "police_conduct"
    assert section_after(q, answers, "neighborhood") == "police_conduct"
    page = find_page(q, answers, "neighborhood")
    assert page is not None and page.number == 1

    # "No" to police contact leaves a one-question contact page.
    answers["contact_12m"] = Answer(value_codes=["no"])
    contact = find_page(q, {**answers, **{s: Answer.skipped() for s in _ids(q, until="contact")}},
                        "contact")
    assert contact is not None and [i.id for i in contact.items] == ["contact_12m"]
    # Nothing left unanswered and on the last page: the questionnaire is done.
    everything = {i.id: Answer.skipped() for i in q.items}
    assert section_after(q, everything, "comment") is None
    assert is_last_page(q, everything, "comment")
    # If skip logic reveals an unanswered question earlier on, go back there.
    del everything["contact_started"]
    everything["contact_12m"] = Answer(value_codes=["yes"])
    assert section_after(q, everything, "comment") == "contact"


def _ids(q: Any, until: str) -> list[str]:
    out = []
    for item in q.items:
        if item.section == until:
            break
        out.append(item.id)
    return out


def test_form_parsing_and_either(q: Any) -> None:
    form = Form([
        ("shown", "race_ethnicity"), ("shown", "zip_or_area"), ("shown", "home_language"),
        ("shown", "comment"),  # not on this page: ignored
        ("q_race_ethnicity", "asian"), ("q_race_ethnicity", "white"),
        ("q_zip_or_area", "98101"), ("m_zip_or_area", "prefer_not"),
        ("q_home_language", ""), ("q_gender", "woman"),
    ])
    posted, shown = fields.parse(form, q, "about_you")
    assert shown == {"race_ethnicity", "zip_or_area", "home_language"}
    assert posted["race_ethnicity"] == ["asian", "white"]
    assert posted["zip_or_area"] == Either("prefer_not", "98101")
    assert posted["home_language"] == "" and posted["gender"] == "woman"
    with pytest.raises(AnswerError) as both:
        validate_raw(q.item("zip_or_area"), posted["zip_or_area"])
    assert both.value.params == {"option": "prefer_not"}
    with pytest.raises(AnswerError) as mixed:
        validate_raw(q.item("race_ethnicity"), ["asian", "prefer_not"])
    assert mixed.value.params == {"option": "prefer_not"}
    assert validate_raw(q.item("race_ethnicity"), ["prefer_not"]) == Answer.prefer_not()
    assert validate_raw(q.item("zip_or_area"), "prefer_not") == Answer.prefer_not()


def test_errors_name_options_in_the_readers_language(q: Any, resources_base: Any) -> None:
    resources = resources_base
    from survey.i18n import translate_questionnaire

    tq = translate_questionnaire(resources.catalogs, q, "es", allow_fuzzy=True)
    gettext = resources.catalogs.translator("es", True).gettext
    error = AnswerError("zip_or_area", "Please either type an answer or choose “%(option)s”, "
                        "not both.", option="prefer_not")
    text = fields.error_text(error, q, tq, gettext)
    assert tq.missing_labels.prefer_not in text
    exclusive = AnswerError("participate_kinds", "“%(option)s” cannot be combined with other "
                            "options.", option="None of these")
    label = next(o.label for o in tq.item("participate_kinds").options if o.code == "none")
    assert label in fields.error_text(exclusive, q, tq, gettext)
