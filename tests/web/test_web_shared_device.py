"""An open link on a shared device (a kiosk at a community meeting, a family phone):
the next person does not land in the previous person's unfinished answers. The
entry address offers "continue" or "start a new survey", and every question page
of an open-link response has "Not you? Start a new survey"; starting anew forgets
the old response in this browser, which stays stored as a partial response."""

from __future__ import annotations

import html
import re
import time
from typing import Any

from respondent import HTML, Respondent, fill, stored
from survey_setup import Form, Setup, parse_form

from survey.db import Conn
from survey.web import csrf

COMMENT = "My neighbor John Smith at 12 Elm St was harassed"


def _continue(page: str, path: str) -> str:
    """The choice page's "continue" link to ``path``: ``?resume=<a timed token>``."""
    found = re.search(rf'href="({re.escape(path)}\?[^"]*resume=[^"]+)"', page)
    assert found is not None, path
    return html.unescape(found.group(1))


async def _leave_unfinished(who: Respondent, wave: Setup) -> None:
    """The first person: the one-page form, some answers, an invalid count, walk away."""
    page = await who.get(wave.open_path + "/all")
    form = parse_form(page.text, "/all")
    overrides = {"zip_or_area": "98118", "comment": COMMENT, "participate_count": "500"}
    sent = await who.post(form.action, fill(form, overrides))
    assert sent.status_code == 422


async def test_the_next_person_sees_the_consent_and_can_start_anew(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.open_path)
    await _leave_unfinished(who, wave)
    first_key = client.cookies["survey_resume"]

    # The next person opens the entry address: the consent, not page 8 of 10.
    landing = await who.get(wave.open_path, follow_redirects=False)
    assert landing.status_code == 200
    assert "Before you start" in landing.text and "Page " not in landing.text
    assert "98118" not in landing.text and "John Smith" not in landing.text
    assert "A survey was already started on this device" in landing.text
    assert f'href="{wave.open_path}/q/' in landing.text
    assert "Continue where you left off" in landing.text
    assert "Start a new survey (someone else is using this device)" in landing.text
    assert 'action="' + wave.open_path + '/start"' not in landing.text

    form = parse_form(landing.text, "/new")
    assert form.hidden["then"] == "start" and form.hidden["csrf"]
    started = await who.post(form.action, fill(form))
    assert started.status_code == 303
    assert started.headers["location"] == f"{wave.open_path}/q/neighborhood"
    assert client.cookies["survey_resume"] != first_key
    page = await who.get(started.headers["location"])
    assert "Page 1 of" in page.text
    blank = await who.get(wave.open_path + "/all")
    assert "98118" not in blank.text and "John Smith" not in blank.text

    # Forgotten in this browser, not deleted: the first response stays, partial.
    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["partial", "partial"]
    assert answers[rows[0]["id"]]["zip_or_area"]["value_text"] == "98118"
    assert answers[rows[0]["id"]]["comment"]["value_text"] == COMMENT
    assert answers[rows[1]["id"]] == {}


async def test_the_owner_can_continue_where_they_left_off(
    client: Any, wave: Setup
) -> None:
    who = Respondent(client, wave.open_path)
    page = await who.start()
    posted = await who.answer(page)
    landing = await who.get(wave.open_path, follow_redirects=False)
    assert landing.status_code == 200
    resume = posted.headers["location"]
    chosen = await who.get(_continue(landing.text, resume), follow_redirects=False)
    assert chosen.status_code == 303 and chosen.headers["location"] == resume
    assert (await who.get(resume)).status_code == 200


async def test_every_open_link_question_page_has_not_you(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.open_path)
    page = await who.start()
    await who.answer(page, {"safety_dark": "3"})
    key = client.cookies["survey_resume"]
    page = await who.get(f"{wave.open_path}/q/police_conduct")
    assert "Not you? Start a new survey" in page.text
    form = parse_form(page.text, "/new")
    assert "then" not in form.hidden
    # Without JavaScript, a plain form post, refused without its token.
    forged = await who.post(form.action, [("csrf", "x.y"), ("lang", "en")])
    assert forged.status_code == 403 and client.cookies["survey_resume"] == key
    out = await who.post(form.action, fill(form))
    assert out.status_code == 303 and out.headers["location"] == wave.open_path
    assert client.cookies["survey_resume"] != key
    landing = await who.get(wave.open_path)
    assert "Start the survey" in landing.text and "Not you?" not in landing.text

    # The one-page form has it too, and leads to a blank one-page form.
    await _leave_unfinished(who, wave)
    choice = await who.get(wave.open_path + "/all")
    filled = await who.get(_continue(choice.text, wave.open_path + "/all"))
    assert "98118" in filled.text  # its owner's answers, with the way out beside them
    form = parse_form(filled.text, "/new")
    assert form.hidden["then"] == "all"
    out = await who.post(form.action, fill(form))
    assert out.status_code == 303 and out.headers["location"] == wave.open_path + "/all"
    blank = await who.get(wave.open_path + "/all")
    assert "98118" not in blank.text and "John Smith" not in blank.text
    rows, _ = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["partial", "partial"]


async def test_a_personal_link_resumes_as_before(client: Any, wave: Setup) -> None:
    who = Respondent(client, wave.personal_path())
    await who.answer(await who.start())
    back = await client.get(wave.personal_path(), headers=HTML, follow_redirects=False)
    assert back.status_code == 303 and "/q/" in back.headers["location"]
    page = await who.get(back.headers["location"])
    assert "Not you?" not in page.text and "/new" not in page.text


def _new_forms(html: str) -> dict[str, Form]:
    """The page's "start a new survey" forms, by where each leads (``then``)."""
    forms = [parse_form(part + "</form>", "/new") for part in html.split("</form>")]
    return {f.hidden["then"]: f for f in forms if f.action}


def _checked(html: str, control: str) -> bool:
    tag = re.search(rf'<input[^>]*\bid="{control}"[^>]*>', html)
    assert tag is not None, control
    return " checked" in tag.group(0)


async def test_no_one_page_path_shows_the_previous_persons_answers(
    client: Any, conn: Conn, wave: Setup
) -> None:
    """The reviewer's kiosk: someone answers page 1 in Spanish and walks away; the next
    person's one-page way in, from the choice or straight to /all, goes through the
    choice, and only "continue" shows the answers."""
    who = Respondent(client, wave.open_path)
    page = await who.start("?lang=es")
    form = parse_form(page.text, "")
    two = [
        (name, [c for c in form.controls if c.get("name") == f"q_{name}"][n]["value"])
        for name, n in (("safety_dark", 0), ("worry_home", 3))
    ]
    data = [*form.hidden.items(), *[("shown", i) for i in form.shown],
            *[(f"q_{name}", value) for name, value in two]]
    saved = await who.post(form.action, data)
    assert saved.status_code == 303 and "/q/" in saved.headers["location"]
    first_key = client.cookies["survey_resume"]

    landing = await who.get(wave.open_path)
    assert "Continuar donde lo dejó" in landing.text
    # No plain link to the one-page form: continuing there is a choice of its own.
    assert f'href="{wave.open_path}/all"' not in landing.text
    _continue(landing.text, wave.open_path + "/all")
    assert "Continuar en una sola página" in landing.text
    assert "Empezar una encuesta nueva en una sola página" in landing.text
    assert set(_new_forms(landing.text)) == {"start", "all"}

    # Straight to /all (a kiosk's bookmark): the same choice, not the answers.
    direct = await who.get(wave.open_path + "/all")
    assert direct.status_code == 200
    assert 'id="safety_dark-0"' not in direct.text and "Continuar donde lo dejó" in direct.text
    continue_all = _continue(direct.text, wave.open_path + "/all")
    assert set(_new_forms(direct.text)) == {"all"}
    assert client.cookies["survey_resume"] == first_key

    # Its owner continues on one page: their answers.
    chosen = await who.get(continue_all, follow_redirects=False)
    assert chosen.status_code == 303 and chosen.headers["location"] == wave.open_path + "/all"
    mine = await who.get(chosen.headers["location"])
    assert _checked(mine.text, "safety_dark-0") and _checked(mine.text, "worry_home-3")
    # Switching language there keeps them on their answers, not back at the choice.
    switch = parse_form(mine.text, "/all")
    switched = await who.post(switch.action, [*switch.hidden.items(), ("switch_lang", "ar")])
    assert switched.status_code == 303
    assert switched.headers["location"].startswith(f"{wave.open_path}/all?lang=ar&resume=")
    arabic = await who.get(switched.headers["location"], follow_redirects=False)
    assert arabic.status_code == 303
    assert arabic.headers["location"] == f"{wave.open_path}/all?lang=ar"
    arabic = await who.get(arabic.headers["location"])
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert _checked(arabic.text, "safety_dark-0") and _checked(arabic.text, "worry_home-3")

    # The next person starts anew on one page: a blank form and a response of their own.
    new = _new_forms(landing.text)["all"]
    out = await who.post(new.action, fill(new))
    assert out.status_code == 303 and out.headers["location"] == wave.open_path + "/all"
    assert client.cookies["survey_resume"] != first_key
    blank = await who.get(out.headers["location"])
    assert 'id="safety_dark-0"' in blank.text
    assert not _checked(blank.text, "safety_dark-0") and not _checked(blank.text, "worry_home-3")
    sent = await who.post(wave.open_path + "/all", fill(parse_form(blank.text, "/all")))
    assert sent.status_code == 200
    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["partial", "complete"]
    assert {"safety_dark", "worry_home"} <= set(answers[rows[0]["id"]])
    assert len(answers[rows[1]["id"]]) > 40


async def test_a_question_page_left_idle_asks_before_showing_answers(
    client: Any, conn: Conn, wave: Setup
) -> None:
    """The next person on a kiosk opens page 1 from the browser's history, half an hour
    after the last person walked away: the choice first, not their answers."""
    who = Respondent(client, wave.open_path)
    await who.answer(await who.start(), {"safety_dark": "3"})
    page_one = f"{wave.open_path}/q/neighborhood"
    fresh = await who.get(page_one)
    assert fresh.status_code == 200 and _checked(fresh.text, "safety_dark-2")

    await conn.execute(
        "UPDATE responses SET updated_at = now() - interval '30 minutes' WHERE program_id = $1",
        wave.program_id,
    )
    idle = await who.get(page_one, follow_redirects=False)
    assert idle.status_code == 200
    assert "A survey was already started on this device" in idle.text
    assert 'id="safety_dark-2"' not in idle.text
    continue_link = _continue(idle.text, page_one)
    assert set(_new_forms(idle.text)) == {"start", "all"}

    chosen = await who.get(continue_link, follow_redirects=False)
    # The history keeps the plain address, not one that skips the choice.
    assert chosen.status_code == 303 and chosen.headers["location"] == page_one
    mine = await who.get(page_one)
    assert mine.status_code == 200 and _checked(mine.text, "safety_dark-2")
    # Continuing makes the response active again: its pages open as before.
    again = await who.get(page_one)
    assert _checked(again.text, "safety_dark-2") and "already started" not in again.text
    idle_for = await conn.fetchval(
        "SELECT extract(epoch FROM now() - updated_at) FROM responses WHERE program_id = $1",
        wave.program_id,
    )
    assert idle_for < 60


async def _ask_again(who: Respondent, path: str) -> None:
    page = await who.get(path, follow_redirects=False)
    assert page.status_code == 200, path
    assert "A survey was already started on this device" in page.text
    assert 'id="safety_dark-2"' not in page.text and "98118" not in page.text


async def test_a_continue_link_from_the_history_asks_again(
    client: Any, conn: Conn, wave: Setup
) -> None:
    """The reviewer's repro: someone continues after a break, walks away; the next person
    opens that "continue" address from the browser's history: the choice, not the
    answers. So does a bare ``?resume=1``, which the service used to accept."""
    who = Respondent(client, wave.open_path)
    await who.answer(await who.start(), {"safety_dark": "3"})
    page_one = f"{wave.open_path}/q/neighborhood"
    idle_sql = "UPDATE responses SET updated_at = now() - interval '30 minutes'"
    await conn.execute(idle_sql)
    continue_link = _continue((await who.get(page_one)).text, page_one)
    # An hour-old token, signed as the service signs them, for this browser's key.
    old = csrf.issue_timed("test-secret-key", client.cookies["survey_resume"], "resume",
                           now=time.time() - 3600)
    assert _checked((await who.get(continue_link)).text, "safety_dark-2")

    await conn.execute(idle_sql)
    await _ask_again(who, f"{page_one}?resume={old}")
    await _ask_again(who, f"{page_one}?resume=1")
    await _ask_again(who, f"{page_one}?resume=x.y")
    idle_for = await conn.fetchval("SELECT extract(epoch FROM now() - updated_at) FROM responses")
    assert idle_for > 20 * 60  # asking again does not make it active

    # The one-page form: a continue link works once, for this visit; old ones ask.
    all_path = wave.open_path + "/all"
    old = csrf.issue_timed("test-secret-key", client.cookies["survey_resume"], "resume",
                           now=time.time() - 3600)
    for stale in (f"{all_path}?resume={old}", f"{all_path}?resume=1"):
        await _ask_again(who, stale)
    fresh = _continue((await who.get(all_path)).text, all_path)
    chosen = await who.get(fresh, follow_redirects=False)
    assert chosen.status_code == 303 and chosen.headers["location"] == all_path
    assert _checked((await who.get(all_path)).text, "safety_dark-2")
    # Shown once: the plain address asks again afterwards (the kiosk's next person).
    await _ask_again(who, all_path)
