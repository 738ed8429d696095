"""A personal link opened in two tabs: the second tab's answers, sent after the first
completed the survey, are not stored, and the resident is told so, not thanked as if
they had been received. A double click or a reload, which repeats what is stored,
still gets the thank-you page."""

from __future__ import annotations

from typing import Any

from respondent import Respondent, fill, stored
from survey_setup import Setup, parse_form

from survey.db import Conn

UNSAVED = "The answers you just sent were not saved"


async def _last_page(who: Respondent) -> Any:
    page = await who.start()
    for _ in range(40):
        if 'name="q_comment"' in page.text:
            return page
        posted = await who.answer(page)
        assert posted.status_code == 303, posted.text
        page = await who.get(posted.headers["location"])
    raise AssertionError("no comment page")


async def _comments(conn: Conn, wave: Setup) -> list[str]:
    rows, answers = await stored(conn, wave.program_id)
    return [answers[r["id"]]["comment"]["value_text"] for r in rows]


async def test_second_tab_of_the_last_page_is_told_its_answers_were_not_saved(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    tab1 = await _last_page(who)
    tab2 = await who.get(str(tab1.url))
    form1, form2 = parse_form(tab1.text, ""), parse_form(tab2.text, "")

    first = await who.post(form1.action, fill(form1, {"comment": "first tab comment"}))
    assert first.status_code == 303 and first.headers["location"].endswith("/done")
    second = await who.post(form2.action, fill(form2, {"comment": "second tab comment"}))
    assert second.status_code == 409
    assert "Your answers were already received" in second.text
    assert UNSAVED in second.text
    assert "Your answers have been received" not in second.text
    assert await _comments(conn, wave) == ["first tab comment"]

    # The first tab sent twice (a double click) is simply received.
    again = await who.post(form1.action, fill(form1, {"comment": "first tab comment"}))
    assert again.status_code == 303 and again.headers["location"].endswith("/done")


async def test_second_tab_of_the_one_page_form_is_told_its_answers_were_not_saved(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    path = wave.personal_path() + "/all"
    form1 = parse_form((await who.get(path)).text, "/all")
    form2 = parse_form((await who.get(path)).text, "/all")

    first = await who.post(form1.action, fill(form1, {"comment": "first tab comment"}))
    assert first.status_code == 200 and "Your answers have been received" in first.text
    second = await who.post(form2.action, fill(form2, {"comment": "second tab comment"}))
    assert second.status_code == 409
    assert UNSAVED in second.text
    assert "Your answers have been received" not in second.text
    assert await _comments(conn, wave) == ["first tab comment"]

    reload = await who.post(form1.action, fill(form1, {"comment": "first tab comment"}))
    assert reload.status_code == 200 and "Your answers have been received" in reload.text


async def test_a_later_visit_does_not_say_anything_was_lost(
    client: Any, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    await who.finish(await who.start())
    later = await who.get(wave.personal_path())
    assert "Your answers were already received" in later.text
    assert UNSAVED not in later.text
