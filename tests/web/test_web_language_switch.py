"""The language switcher on a page with a form, JavaScript off: its buttons send the
page's answers along, so switching language mid-page loses nothing typed."""

from __future__ import annotations

import re
from typing import Any

from respondent import HTML, Respondent, fill, stored
from survey_setup import Setup, parse_form

from survey.db import Conn


async def test_switch_stores_the_page_and_shows_it_in_the_new_language(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    first = await who.start()
    # The landing page had links; a question page has buttons of its form.
    assert 'name="switch_lang" value="es" lang="es"' in first.text
    assert re.search(r'<form [^>]*id="page-form"', first.text)
    form = parse_form(first.text, "")
    section = form.action.rsplit("/", 1)[1]
    data = fill(form, {item: "" for item in form.shown[1:]})
    switched = await who.post(form.action, [*data, ("switch_lang", "es")])
    assert switched.status_code == 303, switched.text
    assert switched.headers["location"] == f"{wave.personal_path()}/q/{section}?lang=es"
    assert "survey_lang=es" in switched.headers["set-cookie"]
    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["partial"]
    assert set(answers[rows[0]["id"]]) == {form.shown[0]}  # blanks are not skips

    page = await who.get(switched.headers["location"])
    assert '<html lang="es"' in page.text
    again = parse_form(page.text, "")
    chosen = next(c for c in again.controls if c.get("name") == f"q_{form.shown[0]}"
                  and "checked" in c)
    assert chosen["value"] == dict(data)[f"q_{form.shown[0]}"]

    # A language the wave does not offer is no switch: the page's own language stays.
    other = await who.post(again.action, [*fill(again), ("switch_lang", "ru")])
    assert other.status_code == 303 and other.headers["location"].endswith("?lang=es")
    assert "set-cookie" not in other.headers


async def test_landing_page_keeps_links(client: Any, wave: Setup) -> None:
    landing = await client.get(wave.personal_path(), headers=HTML)
    assert f'<a href="{wave.personal_path()}?lang=es" lang="es"' in landing.text
    assert "switch_lang" not in landing.text
