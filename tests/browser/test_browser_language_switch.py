"""Switching language mid-page in Chromium keeps what the resident typed on that page,
with JavaScript on or off; Enter in a field still saves and goes on, not switches."""

from __future__ import annotations

from typing import Any

from browsing import axe_problems, fill_page, html_attrs, section_of, start, submit, walk_to
from harness import AXE, PHONE, Server, fetch


def _answers(server: Server, program_id: int) -> tuple[list[str], dict[str, Any]]:
    rows = fetch(server, "SELECT * FROM responses WHERE program_id = $1 ORDER BY id", program_id)
    answers = {} if not rows else {a["item_id"]: a for a in fetch(
        server, "SELECT * FROM answers WHERE program_id = $1 AND response_id = $2",
        program_id, rows[0]["id"])}
    return [r["status"] for r in rows], answers


def _switch(page: Any, code: str) -> None:
    with page.expect_navigation():
        page.click(f"nav.languages button[name=switch_lang][value={code}]")


def test_switch_keeps_typed_answers_without_javascript(browser: Any, server: Server,
                                                       make_wave: Any) -> None:
    wave = make_wave()
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    start(page, f"{server.url}{wave.personal_path()}?lang=en")
    assert section_of(page) == "neighborhood"
    page.check("#safety_dark-3")  # typed on the page, not yet saved
    assert _answers(server, wave.program_id)[1] == {}

    button = page.locator("nav.languages button[value=es]")
    assert button.get_attribute("lang") == "es" and button.get_attribute("form") == "page-form"
    _switch(page, "es")
    assert html_attrs(page)[0] == "es"
    assert section_of(page) == "neighborhood" and page.url.endswith("/q/neighborhood?lang=es")
    assert page.is_checked("#safety_dark-3")
    assert page.get_attribute("nav.languages button[value=es]", "aria-current") == "true"
    statuses, answers = _answers(server, wave.program_id)
    assert statuses == ["partial"] and answers["safety_dark"]["value_num"] == 4.0
    # Only what was given is kept: a blank question is not taken as skipped.
    assert set(answers) == {"safety_dark"}
    # The choice sticks, as the switcher's links do.
    assert any(c["name"] == "survey_lang" and c["value"] == "es" for c in context.cookies())
    context.close()


def test_switch_keeps_invalid_input_as_typed(browser: Any, server: Server,
                                             make_wave: Any) -> None:
    wave = make_wave()
    context = browser.new_context(viewport=PHONE)
    if AXE.exists():
        context.add_init_script(path=str(AXE))  # see test_browser_a11y
    page = context.new_page()
    start(page, f"{server.url}{wave.personal_path()}?lang=en")
    walk_to(page, "about_you")
    page.fill("#zip_or_area-input", "98118")
    _switch(page, "ar")
    assert html_attrs(page) == ("ar", "rtl")
    assert page.input_value("#zip_or_area-input") == "98118"
    assert fetch(server, "SELECT value_text FROM answers WHERE program_id = $1 AND item_id = $2",
                 wave.program_id, "zip_or_area")[0]["value_text"] == "98118"
    if AXE.exists():
        assert axe_problems(page) == []

    # A number out of range cannot be taken: shown again as typed, with why, in the new
    # language, and nothing else on the page is lost.
    wave2 = make_wave()
    start(page, f"{server.url}{wave2.personal_path()}?lang=en")
    walk_to(page, "program")
    fill_page(page, {"aware_program": "yes"})
    submit(page)
    fill_page(page, {"participate_kinds": ["event"]})
    submit(page)
    page.fill("#participate_count-input", "0")
    _switch(page, "es")
    assert html_attrs(page)[0] == "es"
    assert page.input_value("#participate_count-input") == "0"
    assert page.is_visible("#error-summary")
    assert page.is_checked("#aware_program-0")
    statuses, answers = _answers(server, wave2.program_id)
    assert statuses == ["partial"] and "participate_count" not in answers
    assert "aware_program" in answers and "participate_kinds" in answers
    if AXE.exists():
        assert axe_problems(page) == []
    context.close()


def test_enter_in_a_field_saves_and_goes_on(page: Any, server: Server, make_wave: Any) -> None:
    wave = make_wave()
    start(page, f"{server.url}{wave.personal_path()}?lang=en")
    walk_to(page, "about_you")
    fill_page(page)
    with page.expect_navigation():
        page.press("#zip_or_area-input", "Enter")
    assert html_attrs(page)[0] == "en" and section_of(page) != "about_you"


def test_one_page_form_switch_keeps_answers(page: Any, server: Server, make_wave: Any) -> None:
    wave = make_wave()
    page.goto(f"{server.url}{wave.personal_path()}/all?lang=en")
    page.check("#safety_dark-3")
    page.fill("#zip_or_area-input", "98118")
    _switch(page, "zh_Hans")
    assert html_attrs(page)[0] == "zh-Hans" and "/all?lang=zh_Hans" in page.url
    assert page.is_checked("#safety_dark-3")
    assert page.input_value("#zip_or_area-input") == "98118"
    statuses, answers = _answers(server, wave.program_id)
    assert statuses == ["partial"] and set(answers) == {"safety_dark", "zip_or_area"}
