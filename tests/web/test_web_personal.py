"""Personal links (/s/<token>) with JavaScript off: the whole way, and every state page."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from respondent import HTML, Respondent, fill, stored
from survey_setup import Setup, parse_form

from survey.db import Conn
from survey.i18n import translate_questionnaire
from survey.questionnaire import visible_items


def _html_attrs(html: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', html)
    assert match, html[:200]
    return match.group(1), match.group(2)


async def test_landing_shows_consent_and_privacy_and_stores_nothing(
    client: Any, conn: Conn, wave: Setup
) -> None:
    page = await client.get(wave.personal_path(), headers=HTML)
    assert page.status_code == 200
    assert _html_attrs(page.text) == ("en", "ltr")
    assert "Community safety and trust survey" in page.text
    assert "Taking part is voluntary" in page.text
    assert "We do not ask for your name" in page.text
    assert "Safe Streets Together" in page.text  # %(program)s filled in
    form = parse_form(page.text, "/start")
    assert form.action == f"{wave.personal_path()}/start"
    assert form.hidden["csrf"] and form.hidden["lang"] == "en"
    # Nothing is stored and no cookie is set until the resident starts.
    assert "set-cookie" not in page.headers
    assert await conn.fetchval("SELECT count(*) FROM responses") == 0


async def test_complete_in_english_stores_rows(
    client: Any, conn: Conn, wave: Setup, resources: Any
) -> None:
    who = Respondent(client, wave.personal_path())
    first = await who.start()
    assert first.status_code == 200
    assert "Page 1 of" in first.text
    thanks = await who.finish(first)
    assert "Thank you" in thanks.text
    assert "Your answers have been received" in thanks.text

    rows, answers = await stored(conn, wave.program_id)
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == "complete" and row["submitted_at"] is not None
    assert row["language"] == "en"
    assert row["channel"] == "web"
    assert row["questionnaire_hash"] == wave.questionnaire_hash
    invitation = await conn.fetchrow(
        "SELECT id, completed_at FROM invitations WHERE program_id = $1 AND id = $2",
        wave.program_id, row["invitation_id"],
    )
    assert invitation["completed_at"] is not None
    assert row["resume_key_hash"] is None and row["duplicate_suspect"] is False

    # Every visible item has exactly one stored answer with the first option chosen.
    q = resources.questionnaires["community-trust"]
    got = answers[row["id"]]
    assert got["safety_dark"]["value_num"] == 1.0
    assert got["contact_12m"]["value_codes"] == ["yes"]
    assert got["participate_kinds"]["value_codes"] == ["meeting"]
    assert got["participate_count"]["value_num"] == 3.0
    assert got["comment"]["value_text"] == "All fine here"
    from survey.services.responses import load_answers

    loaded = await load_answers(conn, wave.program_id, row["id"])
    assert sorted(got) == sorted(i.id for i in visible_items(q, loaded))
    # Pages were walked in section order, one section per page; "contact" and
    # "program" were shown again when an answer revealed follow-up questions.
    assert list(dict.fromkeys(who.sections)) == [s.id for s in q.sections]
    assert who.sections.count("contact") == 2 and who.sections.count("program") == 3


async def test_complete_in_arabic_right_to_left(client: Any, conn: Conn, wave: Setup,
                                                resources: Any) -> None:
    who = Respondent(client, wave.personal_path())
    landing = await who.get(wave.personal_path() + "?lang=ar")
    assert _html_attrs(landing.text) == ("ar", "rtl")
    cookie = landing.headers.get("set-cookie", "")
    assert cookie.startswith("survey_lang=ar") and "HttpOnly" in cookie
    tq = translate_questionnaire(
        resources.catalogs, resources.questionnaires["community-trust"], "ar",
        allow_fuzzy=True, params={"program": "Safe Streets Together"},
    )
    assert tq.title in landing.text
    first = await who.start("?lang=ar")
    assert _html_attrs(first.text) == ("ar", "rtl")
    await who.finish(first)
    rows, _ = await stored(conn, wave.program_id)
    assert rows[0]["language"] == "ar" and rows[0]["status"] == "complete"


async def test_accept_language_and_wave_languages_only(client: Any, wave: Setup) -> None:
    spanish = await client.get(wave.personal_path(), headers={**HTML, "Accept-Language": "es-MX"})
    assert _html_attrs(spanish.text)[0] == "es"
    chinese = await client.get(wave.personal_path(),
                               headers={**HTML, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert _html_attrs(chinese.text)[0] == "zh-Hans"
    # Russian is supported by the service but not offered by this wave.
    russian = await client.get(wave.personal_path() + "?lang=ru",
                               headers={**HTML, "Accept-Language": "ru"})
    assert _html_attrs(russian.text)[0] == "en"
    assert "set-cookie" not in russian.headers
    # The switcher offers exactly the wave's languages, each in its own script.
    links = re.findall(r'<a href="[^"]*\?lang=([^"]+)" lang="([^"]+)"', spanish.text)
    assert links == [("en", "en"), ("es", "es"), ("ar", "ar"), ("zh_Hans", "zh-Hans")]


async def test_resume_where_left_off_on_another_device(client: Any, conn: Conn,
                                                       wave: Setup, resources: Any) -> None:
    who = Respondent(client, wave.personal_path())
    first = await who.start("?lang=es")
    posted = await who.answer(first)
    assert posted.headers["location"].endswith("/q/police_conduct")
    second = await who.get(posted.headers["location"])
    posted = await who.answer(second, {"pj_respect": "4"})
    assert posted.headers["location"].endswith("/q/police_lawful")

    # Later, without cookies: the link alone brings the resident back to page 3, in
    # the language they used.
    client.cookies.clear()
    back = await client.get(wave.personal_path(), headers=HTML, follow_redirects=False)
    assert back.status_code == 303
    assert back.headers["location"] == f"{wave.personal_path()}/q/police_lawful"
    page = await client.get(back.headers["location"], headers=HTML)
    assert _html_attrs(page.text)[0] == "es"
    spanish = resources.catalogs.translator("es", True).gettext
    assert spanish("Page %(number)s of %(count)s") % {"number": 3, "count": 10} in page.text
    rows, answers = await stored(conn, wave.program_id)
    assert rows[0]["status"] == "partial" and rows[0]["submitted_at"] is None
    assert answers[rows[0]["id"]]["pj_respect"]["value_num"] == 4.0
    # Earlier pages can be revisited with their answers filled in...
    earlier = await client.get(f"{wave.personal_path()}/q/police_conduct", headers=HTML)
    assert re.search(r'id="pj_respect-3" name="q_pj_respect" value="4" checked', earlier.text)
    # ...but later ones cannot be reached by editing the URL.
    ahead = await client.get(f"{wave.personal_path()}/q/comment", headers=HTML,
                             follow_redirects=False)
    assert ahead.headers["location"] == f"{wave.personal_path()}/q/police_lawful"


async def _walk_to(who: Respondent, section: str) -> Any:
    page = await who.start()
    while True:
        form = parse_form(page.text, "")
        if form.action.endswith(f"/q/{section}"):
            return page
        posted = await who.answer(page)
        page = await who.get(posted.headers["location"])


async def test_skip_logic_on_the_server(client: Any, conn: Conn, wave: Setup) -> None:
    who = Respondent(client, wave.personal_path())
    page = await _walk_to(who, "contact")
    form = parse_form(page.text, "")
    assert form.shown == ["contact_12m"]  # follow-ups hidden until answered "yes"

    # "Yes" reveals the follow-up questions on the same page (no JavaScript needed).
    posted = await who.answer(page, {"contact_12m": "yes"})
    assert posted.headers["location"] == f"{wave.personal_path()}/q/contact?added=1"
    page = await who.get(posted.headers["location"])
    assert "added more questions" in page.text
    form = parse_form(page.text, "")
    assert form.shown == ["contact_12m", "contact_started", "enc_respect", "enc_listen",
                          "enc_explain", "enc_fair", "enc_satisfied"]
    posted = await who.answer(page, {"contact_12m": "yes", "contact_started": "police"})
    assert posted.headers["location"].endswith("/q/program")
    rows, answers = await stored(conn, wave.program_id)
    got = answers[rows[0]["id"]]
    assert got["contact_started"]["value_codes"] == ["police"]
    assert got["enc_respect"]["value_num"] == 1.0

    # Changing the gate to "no" drops the now-hidden follow-up answers.
    page = await who.get(f"{wave.personal_path()}/q/contact")
    posted = await who.answer(page, {"contact_12m": "no"})
    assert posted.headers["location"].endswith("/q/program")
    _, answers = await stored(conn, wave.program_id)
    got = answers[rows[0]["id"]]
    assert got["contact_12m"]["value_codes"] == ["no"]
    assert not {"contact_started", "enc_respect", "enc_satisfied"} & set(got)

    # On the program page, "No" hides participation, and the number question with it.
    page = await who.get(f"{wave.personal_path()}/q/program")
    posted = await who.answer(page, {"aware_program": "no"})
    assert posted.headers["location"].endswith("/q/about_you")
    _, answers = await stored(conn, wave.program_id)
    assert "participate_kinds" not in answers[rows[0]["id"]]


async def test_validation_errors_next_to_field_and_in_summary(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    page = await _walk_to(who, "program")
    posted = await who.answer(page, {"aware_program": "yes"})
    page = await who.get(posted.headers["location"])  # participation revealed
    posted = await who.answer(page, {"aware_program": "yes", "participate_kinds": ["event"],
                                     "participate_count": "0"})
    page = await who.get(posted.headers["location"])  # count revealed
    bad = await who.answer(page, {"aware_program": "yes", "aware_contact": "no",
                                  "participate_kinds": ["event", "none"],
                                  "participate_count": "٠"})
    assert bad.status_code == 422
    html = bad.text
    assert html.count('class="error-summary"') == 1 and 'role="alert"' in html
    assert "<title>Error:" in html
    assert "“None of these” cannot be combined with other options." in html
    assert "Please enter a number of at least 1." in html
    assert '<a href="#participate_count-input">' in html
    assert re.search(r'id="participate_count-input" name="q_participate_count" value="٠"', html)
    assert 'aria-describedby="participate_count-error participate_count-hint"' in html or \
        "participate_count-error" in html
    # What was valid on the page is saved; the bad answers are not.
    rows, answers = await stored(conn, wave.program_id)
    got = answers[rows[0]["id"]]
    assert got["aware_contact"]["value_codes"] == ["no"]
    assert "participate_count" not in got
    # Fixing the answers moves on (Arabic-Indic digits are numbers too).
    form = parse_form(html, "")
    fixed = await who.post(form.action, fill(form, {
        "aware_program": "yes", "aware_contact": "no", "participate_kinds": ["event"],
        "participate_count": "١٢"}))
    assert fixed.status_code == 303
    _, answers = await stored(conn, wave.program_id)
    assert answers[rows[0]["id"]]["participate_count"]["value_num"] == 12.0


async def test_dont_know_is_stored_as_missing_not_a_value(client: Any, conn: Conn,
                                                         wave: Setup) -> None:
    who = Respondent(client, wave.personal_path())
    page = await who.start()
    assert 'value="dont_know"' in page.text and "Don&#39;t know" in page.text
    await who.answer(page, {"safety_dark": "dont_know", "worry_home": ""})
    rows, answers = await stored(conn, wave.program_id)
    got = answers[rows[0]["id"]]
    assert got["safety_dark"]["missing"] == "dont_know" and got["safety_dark"]["value_num"] is None
    assert got["worry_home"]["missing"] == "skipped"


async def test_used_token_says_already_received(client: Any, conn: Conn, wave: Setup,
                                                resources: Any) -> None:
    who = Respondent(client, wave.personal_path())
    first = await who.start("?lang=es")
    await who.finish(first)
    client.cookies.clear()
    again = await client.get(wave.personal_path(), headers=HTML)
    assert again.status_code == 200
    assert _html_attrs(again.text)[0] == "es"  # the language the answers were given in
    spanish = resources.catalogs.translator("es", True).gettext
    assert f"<h1>{spanish('Your answers were already received')}</h1>" in again.text
    assert "<form" not in again.text
    # Starting again or re-posting a page changes nothing.
    _, before = await stored(conn, wave.program_id)
    landing_form = parse_form(first.text, "")
    replay = await who.post(landing_form.action, fill(landing_form, {"safety_dark": "4"}))
    # Other answers than the stored ones: told they were not saved, in Spanish still.
    assert replay.status_code == 409
    assert f"<h1>{spanish('Your answers were already received')}</h1>" in replay.text
    rows, after = await stored(conn, wave.program_id)
    assert len(rows) == 1 and after == before


async def test_a_language_asked_for_survives_the_redirect_without_cookies(
    client: Any, wave: Setup, resources: Any
) -> None:
    who = Respondent(client, wave.personal_path())
    await who.finish(await who.start("?lang=es"))
    client.cookies.clear()
    # A question page of a finished response sends to /done: in the language asked
    # for, even where no cookie is kept to remember it.
    r = await client.get(
        f"{wave.personal_path()}/q/trust?lang=en", headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].endswith("/done?lang=en")
    client.cookies.clear()
    done = await client.get(r.headers["location"], headers=HTML)
    assert _html_attrs(done.text)[0] == "en"
    assert "<h1>Thank you</h1>" in done.text
    # Without ?lang the address stays as it was.
    client.cookies.clear()
    r = await client.get(f"{wave.personal_path()}/q/trust", headers=HTML,
                         follow_redirects=False)
    assert r.headers["location"].endswith("/done")


async def test_double_submit_never_duplicates(client: Any, conn: Conn, wave: Setup) -> None:
    who = Respondent(client, wave.personal_path())
    page = await _walk_to(who, "comment")
    form = parse_form(page.text, "")
    data = fill(form, {"comment": "Lights on Main St."})
    first, second = await asyncio.gather(who.post(form.action, data), who.post(form.action, data))
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == f"{who.base}/done"
    third = await who.post(form.action, data)  # a retry after a timeout
    assert third.headers["location"] == f"{who.base}/done"
    rows, answers = await stored(conn, wave.program_id)
    assert len(rows) == 1 and rows[0]["status"] == "complete"
    assert answers[rows[0]["id"]]["comment"]["value_text"] == "Lights on Main St."
    count = await conn.fetchval(
        "SELECT count(*) FROM answers WHERE response_id = $1", rows[0]["id"]
    )
    assert count == len(answers[rows[0]["id"]])


async def test_double_start_makes_one_response(client: Any, conn: Conn, wave: Setup) -> None:
    landing = await client.get(wave.personal_path(), headers=HTML)
    form = parse_form(landing.text, "/start")
    who = Respondent(client, wave.personal_path())
    results = await asyncio.gather(*(who.post(form.action, fill(form)) for _ in range(3)))
    assert {r.status_code for r in results} == {303}
    assert await conn.fetchval("SELECT count(*) FROM responses") == 1


async def test_typed_answer_or_dont_know_not_both(client: Any, conn: Conn, wave: Setup) -> None:
    who = Respondent(client, wave.personal_path())
    page = await _walk_to(who, "about_you")
    bad = await who.answer(page, {"zip_or_area": ["98101", "m:prefer_not"],
                                  "race_ethnicity": ["asian", "prefer_not"]})
    assert bad.status_code == 422
    assert "Please either type an answer or choose “Prefer not to say”, not both." in bad.text
    assert "“Prefer not to say” cannot be combined with other options." in bad.text
    assert 'value="98101"' in bad.text  # what was typed is still there
    form = parse_form(bad.text, "")
    fixed = await who.post(form.action, fill(form, {"zip_or_area": "m:prefer_not",
                                                    "race_ethnicity": ["asian", "white"]}))
    assert fixed.status_code == 303
    rows, answers = await stored(conn, wave.program_id)
    got = answers[rows[0]["id"]]
    assert got["zip_or_area"]["missing"] == "prefer_not"
    assert got["zip_or_area"]["value_text"] is None
    assert got["race_ethnicity"]["value_codes"] == ["asian", "white"]


async def test_links_with_other_digits_are_not_found(client: Any) -> None:
    # '²'.isdigit() holds but int('²') raises: such a link once reached int().
    from survey.services.invitations import split_link

    assert split_link("²-abc") is None and split_link("١٢-abc") is None
    assert split_link("12-abc") == (12, "12-abc")
    for link in ("²-abcdef", "١٢-abcdef"):
        page = await client.get(f"/s/{link}", headers=HTML)
        assert page.status_code == 404, (link, page.status_code)
