"""End to end in headless Chromium: a resident answers the survey, and the rows stored in
PostgreSQL say what they answered, in which language, through which channel and
questionnaire version."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from browsing import TYPED, fill_page, finish, html_attrs, section_of, shown_items, start, submit
from harness import ARTIFACTS, PHONE, Server, fetch, prefill

from survey.i18n import isolate, translate_questionnaire
from survey.questionnaire import visible_items
from survey.services.responses import _answer


def _translated(server: Server, lang: str, name: str = "community-trust") -> Any:
    return translate_questionnaire(
        server.resources.catalogs, server.resources.questionnaires[name], lang,
        allow_fuzzy=True,
        # Names set apart in right-to-left text, as the pages do (survey.web.visit).
        params={"program": isolate("Safe Streets Together", lang),
                "site": isolate("King County", lang)},
    )


def _stored(server: Server, program_id: int) -> tuple[list[Any], dict[int, dict[str, Any]]]:
    rows = fetch(server, "SELECT * FROM responses WHERE program_id = $1 ORDER BY id", program_id)
    answers = {
        r["id"]: {a["item_id"]: a for a in fetch(
            server, "SELECT * FROM answers WHERE program_id = $1 AND response_id = $2",
            program_id, r["id"])}
        for r in rows
    }
    return rows, answers


@pytest.mark.parametrize("lang", ["en", "es", "ar"])
def test_complete_the_survey(page: Any, server: Server, make_wave: Any, lang: str) -> None:
    wave = make_wave()
    tq = _translated(server, lang)
    page.goto(f"{server.url}{wave.personal_path()}?lang={lang}")
    expected_dir = "rtl" if lang == "ar" else "ltr"
    assert html_attrs(page) == (lang, expected_dir)
    assert page.inner_text("h1") == tq.title
    with page.expect_navigation():
        page.click("form.start-form button[type=submit]")
    assert page.inner_text("h1") == tq.sections[0].title
    assert page.inner_text("#safety_dark-legend") == tq.item("safety_dark").prompt

    if lang == "ar":
        # Right to left for real, not just an attribute: text starts at the right edge,
        # and each radio button sits to the right of its label.
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        radio = page.locator("#safety_dark-0").bounding_box()
        label = page.locator("label[for=safety_dark-0]").bounding_box()
        assert radio["x"] > label["x"]
        legend = page.locator("#safety_dark-legend").bounding_box()
        main = page.locator("main").bounding_box()
        assert abs((legend["x"] + legend["width"]) - (main["x"] + main["width"])) < 24
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "survey-ar-rtl.png"), full_page=True)

    sections = finish(page, {"contact_12m": "no", "participate_kinds": ["meeting", "event"]})
    assert html_attrs(page) == (lang, expected_dir)
    assert tq.thanks in page.inner_text("main")
    # One section per page, in order; "program" again as its answers revealed more.
    assert list(dict.fromkeys(sections)) == [s.id for s in tq.sections]
    assert sections.count("program") == 3

    rows, answers = _stored(server, wave.program_id)
    assert len(rows) == 1
    row = rows[0]
    assert (row["status"], row["language"], row["channel"]) == ("complete", lang, "web")
    assert row["questionnaire_hash"] == wave.questionnaire_hash
    assert row["invitation_id"] is not None and row["submitted_at"] is not None
    got = answers[row["id"]]
    assert got["safety_dark"]["value_num"] == 1.0
    assert got["contact_12m"]["value_codes"] == ["no"]
    assert "enc_respect" not in got  # skipped by the "no"
    assert got["participate_kinds"]["value_codes"] == ["meeting", "event"]
    assert got["participate_count"]["value_num"] == 3.0
    assert got["comment"]["value_text"] == TYPED
    q = server.resources.questionnaires["community-trust"]
    loaded = {item_id: _answer(a) for item_id, a in got.items()}
    assert sorted(got) == sorted(i.id for i in visible_items(q, loaded))


def test_resume_a_partial_response(browser: Any, server: Server, make_wave: Any) -> None:
    wave = make_wave()
    url = f"{server.url}{wave.personal_path()}"
    first = browser.new_context(viewport=PHONE)
    page = first.new_page()
    start(page, url + "?lang=es")
    fill_page(page, {"safety_dark": "4"})
    submit(page)
    assert section_of(page) == "police_conduct"
    first.close()

    # Another day, another device: the same link resumes on page 2, in Spanish.
    later = browser.new_context(viewport=PHONE)
    page = later.new_page()
    page.goto(url)
    assert section_of(page) == "police_conduct"
    assert html_attrs(page)[0] == "es"
    assert re.search(r"2\D+10", page.inner_text("#progress-label"))
    with page.expect_navigation():
        page.click(".back a")
    assert section_of(page) == "neighborhood"
    assert page.is_checked("#safety_dark-3")
    rows, answers = _stored(server, wave.program_id)
    assert rows[0]["status"] == "partial" and rows[0]["submitted_at"] is None
    assert answers[rows[0]["id"]]["safety_dark"]["value_num"] == 4.0

    # An open link resumes through its cookie.
    start(page, f"{server.url}{wave.open_path}")
    fill_page(page)
    submit(page)
    page.goto(f"{server.url}{wave.open_path}")
    # The device may be shared: the consent page asks first, then continues.
    assert page.locator("form.start-over-form button").count() == 1
    with page.expect_navigation():
        page.click("p.continue a")
    assert section_of(page) == "police_conduct"
    assert page.locator("form.not-you button").count() == 1
    cookie = next(c for c in later.cookies() if c["name"] == "survey_resume")
    assert cookie["path"] == wave.open_path and cookie["httpOnly"]
    later.close()


def test_shared_device_one_page_goes_through_the_choice(
    browser: Any, server: Server, make_wave: Any
) -> None:
    """The reviewer's kiosk at 360 px: someone answers page 1 in Spanish and walks
    away. The next person's one-page way in, from the choice or straight to /all,
    asks first; only "continue" shows the answers. Keyboard only."""
    wave = make_wave()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    base = f"{server.url}{wave.open_path}"
    page.goto(f"{base}?lang=es")
    with page.expect_navigation():
        page.click("form.start-form button")
    page.click("label[for=safety_dark-0]")
    page.click("label[for=worry_home-3]")
    assert page.inner_text("form.page-form button[type=submit]") == "Guardar y continuar"
    submit(page)
    assert section_of(page) == "police_conduct"

    # The next person: the choice, and no plain link to the one-page form.
    page.goto(base)
    assert page.is_visible("text=Continuar donde lo dejó")
    assert page.locator(f'a[href="{wave.open_path}/all"]').count() == 0
    assert page.locator("#safety_dark-0").count() == 0
    # Straight to /all, as a kiosk bookmarks it: the same choice, not the answers.
    page.goto(f"{base}/all")
    assert page.locator("#safety_dark-0").count() == 0
    assert page.is_visible("text=Continuar donde lo dejó")
    with page.expect_navigation():
        page.click("p.continue a")  # its owner
    assert page.is_checked("#safety_dark-0") and page.is_checked("#worry_home-3")
    # The history holds the plain address: "continue" counted for this visit only.
    assert page.url == f"{base}/all"
    page.reload()
    assert page.locator("#safety_dark-0").count() == 0

    # Someone else: from the choice, a new survey on one page, by keyboard.
    page.goto(base)
    page.focus("text=Empezar una encuesta nueva en una sola página")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/all"
    assert not page.is_checked("#safety_dark-0") and not page.is_checked("#worry_home-3")
    assert page.locator("input:checked").count() == 0
    context.close()


def test_skip_logic_reveals_follow_ups(page: Any, server: Server, make_wave: Any) -> None:
    wave = make_wave()
    prefill(server, wave.tokens[0], "contact")
    page.goto(f"{server.url}{wave.personal_path()}")  # resumes at the contact page
    assert section_of(page) == "contact"
    assert shown_items(page) == ["contact_12m"]
    fill_page(page, {"contact_12m": "yes"})
    submit(page)
    assert section_of(page) == "contact" and page.url.endswith("?added=1")
    assert page.is_visible("p.notice[role=status]")
    assert shown_items(page) == ["contact_12m", "contact_started", "enc_respect", "enc_listen",
                                 "enc_explain", "enc_fair", "enc_satisfied"]
    assert page.is_checked("#contact_12m-0")
    fill_page(page, {"contact_started": "self"})
    submit(page)
    assert section_of(page) == "program"
    fill_page(page, {"aware_program": "no"})
    submit(page)
    assert section_of(page) == "about_you"  # participation questions skipped
    _, answers = _stored(server, wave.program_id)
    got = next(iter(answers.values()))
    assert got["contact_started"]["value_codes"] == ["self"]
    assert got["enc_respect"]["value_num"] == 1.0
    assert "participate_kinds" not in got


def test_typing_an_answer_unticks_prefer_not_to_say(page: Any, server: Server,
                                                    make_wave: Any) -> None:
    wave = make_wave()
    prefill(server, wave.tokens[0], "about_you", {"contact_12m": "no", "aware_program": "no"})
    page.goto(f"{server.url}{wave.personal_path()}")
    assert section_of(page) == "about_you"
    box = ".question:has(#zip_or_area-input) input[data-exclusive]"
    page.check(box)
    page.type("#zip_or_area-input", "98101")
    assert not page.is_checked(box)
    page.check(box)  # and the other way, as before
    assert page.input_value("#zip_or_area-input") == ""


def test_validation_error_is_announced_and_fixable(page: Any, server: Server,
                                                   make_wave: Any) -> None:
    wave = make_wave()
    prefill(server, wave.tokens[0], "program", {"contact_12m": "no"}, language="es")
    page.goto(f"{server.url}{wave.personal_path()}")
    assert section_of(page) == "program" and html_attrs(page)[0] == "es"
    fill_page(page, {"aware_program": "yes"})
    submit(page)  # participation appears
    fill_page(page, {"participate_kinds": ["event"]})
    submit(page)  # the number question appears
    assert "participate_count" in shown_items(page)
    page.fill("#participate_count-input", "0")
    submit(page)
    assert page.is_visible("#error-summary")
    assert page.title().startswith(page.inner_text("#participate_count-error .visually-hidden"))
    # Focus goes to the summary (role=alert), which links to the field.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.get_attribute("#error-summary", "role") == "alert"
    assert page.get_attribute("#participate_count-input", "aria-invalid") == "true"
    assert page.input_value("#participate_count-input") == "0"
    page.click("#error-summary a")
    assert page.evaluate("document.activeElement.id") == "participate_count-input"
    page.fill("#participate_count-input", "7")
    submit(page)
    assert section_of(page) == "about_you"
    _, answers = _stored(server, wave.program_id)
    assert next(iter(answers.values()))["participate_count"]["value_num"] == 7.0


def test_double_submit_and_used_token(browser: Any, server: Server, make_wave: Any) -> None:
    wave = make_wave(questionnaire="pulse")
    url = f"{server.url}{wave.personal_path()}"
    button = "form.page-form button[type=submit]"
    # JavaScript off, so nothing in the page stops a second submit: the server must.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    start(page, url + "?lang=es")
    fill_page(page, {"event_comment": "Más sillas"})
    body = urlencode([
        (str(el.get_attribute("name")), el.input_value())
        for el in page.query_selector_all("form.page-form input[type=hidden]")
    ] + [("q_event_voice", "1"), ("q_event_trust_change", "1"), ("q_event_comment", "Más sillas")])
    # The same last page in a second tab, sent after the first (with other answers).
    other = context.new_page()
    other.goto(page.url)
    fill_page(other, {"event_comment": "Otra cosa"})
    posts: list[str] = []
    context.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    # Two clicks start two navigations and the browser aborts the first: wait for
    # where it ends up rather than for "the" navigation.
    page.dblclick(button)
    page.wait_for_url("**/done")
    assert page.url.endswith("/done") and html_attrs(page) == ("es", "ltr")
    with other.expect_navigation():
        other.click(button)
    # Its other answers are not stored, and it says so rather than "received".
    assert not other.url.endswith("/done")
    assert other.locator("p.unsaved[role=status]").count() == 1
    assert html_attrs(other) == ("es", "ltr")
    # And a retry of the very same post, as after a network timeout.
    replay = context.request.post(
        url + "/q/pulse", data=body, max_redirects=0,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert replay.status == 303 and replay.headers["location"].endswith("/done")
    assert len(posts) >= 2
    rows, answers = _stored(server, wave.program_id)
    assert len(rows) == 1 and rows[0]["status"] == "complete"
    got = answers[rows[0]["id"]]
    assert len(got) == 3
    assert got["event_voice"]["value_num"] == 1.0
    assert got["event_comment"]["value_text"] == "Más sillas"  # not overwritten later
    invitation = fetch(server, "SELECT completed_at FROM invitations WHERE program_id = $1"
                       " AND id = $2", wave.program_id, rows[0]["invitation_id"])
    assert invitation[0]["completed_at"] is not None
    context.close()

    # With JavaScript on, the page itself swallows a second submit while one is sent.
    wave2 = make_wave(questionnaire="pulse")
    context = browser.new_context()
    page = context.new_page()
    start(page, f"{server.url}{wave2.personal_path()}")
    fill_page(page)  # a page sent blank would not complete (test_web_empty_submit)
    with page.expect_navigation():
        prevented = page.evaluate("""() => {
            const form = document.querySelector("form.page-form");
            const seen = [];
            form.addEventListener("submit", (e) => seen.push(e.defaultPrevented));
            form.requestSubmit();
            form.requestSubmit();
            return seen;
        }""")
    assert prevented == [False, True]
    assert page.url.endswith("/done")

    # The used link, opened again on another device, says so in the resident's language.
    again = browser.new_context(locale="en-US")
    page = again.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert html_attrs(page) == ("es", "ltr")
    assert page.query_selector("form") is None
    again.close()
    context.close()


def test_closed_wave(page: Any, server: Server, make_wave: Any) -> None:
    wave = make_wave(close=True)
    for path in (wave.personal_path(), wave.open_path):
        response = page.goto(f"{server.url}{path}?lang=ar")
        assert response is not None and response.status == 410
        assert html_attrs(page) == ("ar", "rtl")
        assert page.query_selector("form") is None
