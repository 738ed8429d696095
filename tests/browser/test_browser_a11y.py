"""Accessibility in Chromium: an axe-core audit of every page type in English, Spanish,
Arabic and Simplified Chinese, plus what axe cannot judge (touch target sizes, reflow at
320 px, keyboard focus order and visibility).

How axe gets into the page: ``BrowserContext.add_init_script(path=axe.min.js)``, i.e.
CDP ``Page.addScriptToEvaluateOnNewDocument``. DevTools-injected scripts are not subject
to the page's Content-Security-Policy (which forbids inline script), so the pages are
audited exactly as served: no ``bypass_csp`` and no change to our CSP. It is also much
faster than evaluating the 500 kB file on every page, because V8 caches it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browsing import axe_problems, fill_page, section_of, shown_items, start, submit
from harness import AXE, PHONE, Server, prefill

from tests.faults import pg


@contextlib.contextmanager
def outage(server: Any) -> Iterator[None]:
    where = pg.socket_dir(server)
    pg.stop(server)
    try:
        yield
    finally:
        pg.start(server, where)


@pytest.fixture
def audited(browser: Any) -> Any:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm install --no-save axe-core@4)")
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(path=str(AXE))
    yield context
    context.close()


@pytest.fixture(scope="module")
def other_waves(server: Server) -> dict[str, Any]:
    """Waves for the state pages, shared by the languages: closed and not yet open."""
    from harness import run
    from survey_setup import seed

    from survey import db

    async def go() -> dict[str, Any]:
        conn = await db.connect(server.settings.database_url or "")
        try:
            soon = datetime.now(UTC) + timedelta(days=10)
            return {
                "closed": await seed(conn, server.resources, slug="a11y-closed", close=True),
                "future": await seed(conn, server.resources, slug="a11y-future", opens_at=soon,
                                     closes_at=soon + timedelta(days=30)),
                "pulse": await seed(conn, server.resources, slug="a11y-pulse",
                                    questionnaire="pulse"),
            }
        finally:
            await conn.close()

    return run(go())


@pytest.mark.parametrize("lang", ["en", "es", "ar", "zh_Hans"])
def test_axe_finds_nothing_serious_on_any_page_type(
    audited: Any, server: Server, make_wave: Any, other_waves: dict[str, Any], lang: str,
    pg_server: Any,
) -> None:
    wave = make_wave()
    page = audited.new_page()
    found: dict[str, list[str]] = {}

    def audit(name: str, in_lang: str = lang) -> None:
        assert page.evaluate("document.documentElement.lang").replace("-", "_") == in_lang, name
        found[name] = axe_problems(page)

    personal = f"{server.url}{wave.personal_path()}"
    page.goto(f"{personal}?lang={lang}")
    audit("intro and consent")
    with page.expect_navigation():
        page.click("form.start-form button[type=submit]")
    audit("question page (scales with don't know)")

    # Jump ahead on a second link, resumed at the contact page.
    prefill(server, wave.tokens[1], "contact", language=lang)
    page.goto(f"{server.url}{wave.personal_path(1)}")
    fill_page(page, {"contact_12m": "yes"})
    submit(page)
    audit("questions revealed by an answer")
    fill_page(page)
    submit(page)
    assert section_of(page) == "program"
    fill_page(page, {"aware_program": "yes"})
    submit(page)
    fill_page(page, {"participate_kinds": ["event"]})
    submit(page)
    page.fill("#participate_count-input", "0")
    submit(page)
    assert page.is_visible("#error-summary")
    audit("validation errors")
    page.fill("#participate_count-input", "2")
    submit(page)
    audit("choices, multiple choice and a typed answer")
    fill_page(page)
    submit(page)
    audit("free-text comment")
    fill_page(page)
    submit(page)
    assert page.url.endswith("/done")
    audit("thank you")
    page.goto(f"{server.url}{wave.personal_path(1)}")
    audit("already received")

    page.goto(f"{server.url}{wave.personal_path(2)}/all?lang={lang}")
    audit("one page: every question")
    fill_page(page, {"contact_12m": "yes"})
    page.fill("#participate_count-input", "0")
    submit(page)
    assert page.is_visible("#error-summary")
    audit("one page: validation errors")
    page.fill("#participate_count-input", "2")
    submit(page)
    assert page.is_visible("p.confirmation")

    pulse = other_waves["pulse"]
    start(page, f"{server.url}{pulse.open_path}?lang={lang}")
    audit("open link: question page with not you")
    page.goto(f"{server.url}{pulse.open_path}?lang={lang}")
    audit("open link: continue or start anew")
    with page.expect_navigation():
        page.click("p.continue a")
    fill_page(page)
    submit(page)
    audit("open link: thank you and start again")
    start(page, f"{server.url}{wave.open_path}?lang={lang}")
    fill_page(page)
    submit(page)
    page.goto(f"{server.url}{wave.open_path}/all?lang={lang}")
    audit("open link: one page, continue or start anew")
    page.goto(f"{server.url}/s/{wave.program_id}-no-such-token?lang={lang}")
    # Asked for in the address: the language's drafts, marked as unreviewed.
    audit("link not found")
    page.goto(f"{server.url}{other_waves['closed'].open_path}?lang={lang}")
    audit("closed")
    page.goto(f"{server.url}{other_waves['future'].personal_path()}?lang={lang}")
    audit("not open yet")


    # Answers sent while the database is down: not saved, with a button that sends
    # them again (a real outage: the run's PostgreSQL stopped, then started).
    page.goto(f"{server.url}{wave.personal_path(3)}/all?lang={lang}")
    fill_page(page)
    # The consent too, in a second tab: one outage for both.
    consent = audited.new_page()
    consent.goto(f"{server.url}{wave.personal_path(4)}?lang={lang}")
    with outage(pg_server):
        submit(page)
        audit("answers not saved (database down)")
        assert page.evaluate("document.querySelectorAll('main form button').length") == 1
        with consent.expect_navigation():
            consent.click("form.start-form button[type=submit]")
        assert consent.evaluate("document.documentElement.lang").replace("-", "_") == lang
        assert consent.evaluate("document.querySelectorAll('main form button').length") == 1
        found["consent not saved (database down)"] = axe_problems(consent)
    consent.close()
    for _ in range(50):
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        if page.is_visible("p.confirmation"):
            break
        time.sleep(0.1)
    assert page.is_visible("p.confirmation")

    assert {name: problems for name, problems in found.items() if problems} == {}
    assert len(found) == 19


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_touch_targets_reflow_and_keyboard(browser: Any, server: Server, make_wave: Any,
                                           lang: str) -> None:
    wave = make_wave()
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    start(page, f"{server.url}{wave.personal_path()}?lang={lang}")
    fill_page(page)
    submit(page)  # page 2, which has a back link too

    # Reflow: nothing scrolls sideways on a 320 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    # Every control a finger uses is at least 44 by 44 CSS pixels (the unseen button
    # that Enter in a field presses is not one: see survey/layout.html).
    sizes = page.evaluate("""() => [...document.querySelectorAll(
            '.choice, button:not(.default-action), .languages a, .back a')].map(e => {
        const r = e.getBoundingClientRect();
        return [e.className || e.tagName, Math.round(r.width), Math.round(r.height)];
    })""")
    assert sizes and all(w >= 44 and h >= 44 for _, w, h in sizes), sizes

    # Keyboard: the skip link comes first and shows itself; focus is always visible.
    page.keyboard.press("Tab")
    first = page.evaluate("""() => {
        const e = document.activeElement, r = e.getBoundingClientRect();
        return [e.className, r.top >= 0 && r.bottom <= innerHeight];
    }""")
    assert first == ["skip-link", True]
    order = []
    for _ in range(12):
        page.keyboard.press("Tab")
        order.append(page.evaluate("""() => {
            const e = document.activeElement, s = getComputedStyle(e);
            return [e.id || e.textContent.trim().slice(0, 20), s.outlineStyle !== "none"
                    && parseFloat(s.outlineWidth) >= 2];
        }"""))
    assert all(visible for _, visible in order), order
    # Then the languages and the back link, then one stop per question, in page order.
    questions = [name for name, _ in order if name.endswith("-0")]
    expected = [f"{item}-0" for item in shown_items(page)]
    assert len(questions) >= 3 and questions == expected[: len(questions)], order
    context.close()
