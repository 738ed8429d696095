"""Links that cannot take answers now (not open yet, closed, unknown), rejected forms,
and the frozen questionnaire version."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from respondent import HTML, Respondent, fill, stored
from survey_setup import Setup, parse_form, seed

from survey.access import SYSTEM
from survey.db import Conn
from survey.i18n import format_date
from survey.services import waves


async def test_closed_wave_keeps_partial_answers_and_says_so(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    posted = await who.answer(await who.start("?lang=es"))
    second = await who.get(posted.headers["location"])
    await waves.close_wave(conn, SYSTEM, wave.program_id, wave.wave_id)
    for path in (wave.personal_path(), f"{wave.personal_path()}/q/police_conduct",
                 wave.personal_path(1), wave.open_path):
        closed = await client.get(path, headers=HTML)
        assert closed.status_code == 410, path
        assert "<form" not in closed.text
    # The resident who started sees it in Spanish (their language), with no form.
    closed = await client.get(wave.personal_path(), headers=HTML)
    assert '<html lang="es" dir="ltr">' in closed.text
    rows, answers = await stored(conn, wave.program_id)
    assert rows[0]["status"] == "partial" and len(answers[rows[0]["id"]]) == 4
    # A page that was open before the wave closed cannot be sent any more.
    late = await who.answer(second)
    assert late.status_code == 410
    _, after = await stored(conn, wave.program_id)
    assert after == answers


async def test_closes_at_in_the_past_is_closed_with_its_date(
    client: Any, conn: Conn, resources: Any
) -> None:
    setup = await seed(conn, resources, opens_at=datetime(2025, 2, 1, tzinfo=UTC),
                       closes_at=datetime(2025, 3, 1, 7, 0, tzinfo=UTC), slug="closed-wave")
    page = await client.get(setup.personal_path() + "?lang=es", headers=HTML)
    assert page.status_code == 410
    # 07:00 UTC on 1 March is still 28 February in Seattle; Spanish date format.
    assert "28 de febrero de 2025" in page.text


async def test_closed_page_says_the_last_open_day_not_the_exclusive_end(
    client: Any, conn: Conn, resources: Any
) -> None:
    # "Closes on 24 November" in Noronha (UTC-2) is stored as the midnight after it,
    # 02:00 UTC on the 25th: the page names the 24th, the wave's last open day.
    setup = await seed(conn, resources, opens_at=datetime(2025, 11, 1, 2, 0, tzinfo=UTC),
                       closes_at=datetime(2025, 11, 25, 2, 0, tzinfo=UTC), slug="noronha")
    await conn.execute("UPDATE sites SET timezone = 'America/Noronha' WHERE id = $1",
                       setup.site_id)
    for path in (setup.personal_path(), setup.open_path):
        page = await client.get(path + "?lang=es", headers=HTML)
        assert page.status_code == 410
        assert "Cerró el 24 de noviembre de 2025." in page.text, path
        assert "25 de noviembre" not in page.text


async def test_closed_by_hand_says_the_day_it_was_closed(
    client: Any, conn: Conn, resources: Any
) -> None:
    closes = datetime.now(UTC) + timedelta(days=16)
    setup = await seed(conn, resources, closes_at=closes, slug="closed-early", close=True)
    closed_at = await conn.fetchval("SELECT closed_at FROM waves WHERE id = $1", setup.wave_id)
    today = format_date(closed_at.astimezone(ZoneInfo("America/Los_Angeles")).date(), "en")
    later = format_date(closes.astimezone(ZoneInfo("America/Los_Angeles")).date(), "en")
    for path in (setup.personal_path(), setup.open_path):
        page = await client.get(path, headers=HTML)
        assert page.status_code == 410
        assert f"It closed on {today}." in page.text, path
        assert later not in page.text


async def test_not_yet_open_shows_opening_date_in_the_language(
    client: Any, conn: Conn, resources: Any
) -> None:
    opens = datetime.now(UTC) + timedelta(days=20)
    setup = await seed(conn, resources, opens_at=opens, closes_at=opens + timedelta(days=9),
                       slug="future-wave")
    page = await client.get(setup.open_path, headers={**HTML, "Accept-Language": "es"})
    assert page.status_code == 409
    assert '<html lang="es" dir="ltr">' in page.text
    local = opens.astimezone(ZoneInfo("America/Los_Angeles")).date()
    assert format_date(local, "es") in page.text
    assert "<form" not in page.text
    assert await conn.fetchval("SELECT count(*) FROM responses") == 0


async def test_draft_wave_is_not_open(client: Any, conn: Conn, resources: Any) -> None:
    setup = await seed(conn, resources, launch=False, slug="draft-wave")
    page = await client.get(setup.open_path, headers={**HTML, "Accept-Language": "ar"})
    assert page.status_code == 409
    # A draft allows no unreviewed Arabic: the page is English, and says so.
    assert '<html lang="en" dir="ltr">' in page.text
    assert "<h1>This survey is not open yet</h1>" in page.text


async def test_unknown_token_is_a_404_page(client: Any, wave: Setup) -> None:
    for path in (f"/s/{wave.program_id}-notarealtoken", "/s/garbage", "/s/999-abc"):
        page = await client.get(path, headers={**HTML, "Accept-Language": "zh-CN"})
        assert page.status_code == 404
        assert '<html lang="en" dir="ltr">' in page.text  # zh_Hans has only drafts
        assert "<h1>Survey not found</h1>" in page.text
    # API clients get the usual JSON error.
    api = await client.get("/s/garbage", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json()["extra"]["code"] == "link_not_found"


async def test_forged_or_missing_csrf_is_refused(client: Any, conn: Conn, wave: Setup) -> None:
    landing = await client.get(wave.personal_path(), headers=HTML)
    form = parse_form(landing.text, "/start")
    real = form.hidden["csrf"]
    tampered = real[:-1] + ("1" if real[-1] == "0" else "0")
    for token in ("", "abc.def", tampered):
        forged = await client.post(form.action, data={"csrf": token, "lang": "en"},
                                   headers=HTML)
        assert forged.status_code == 403
        assert "could not accept this form" in forged.text
    # A token for one link does not work for another.
    other = parse_form((await client.get(wave.personal_path(1), headers=HTML)).text, "/start")
    crossed = await client.post(form.action, data={"csrf": other.hidden["csrf"]}, headers=HTML)
    assert crossed.status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM responses") == 0
    # A page token is bound to its page too.
    who = Respondent(client, wave.personal_path())
    page = await who.start()
    form = parse_form(page.text, "")
    moved = await who.post(form.action.replace("neighborhood", "police_conduct"), fill(form))
    assert moved.status_code == 403
    _, answers = await stored(conn, wave.program_id)
    assert all(not a for a in answers.values())


async def test_answers_follow_the_frozen_version_not_the_files(
    client: Any, conn: Conn, wave: Setup, settings: Any, resources: Any
) -> None:
    """After launch the wave runs on the stored definition, even if the file changes or
    disappears."""
    from litestar.testing import AsyncTestClient

    from survey.app import create_app

    without = dataclasses.replace(resources, questionnaires={})
    app = create_app(settings, resources=without)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        who = Respondent(other, wave.personal_path())
        await who.finish(await who.start())
    rows, answers = await stored(conn, wave.program_id)
    assert rows[0]["status"] == "complete"
    assert rows[0]["questionnaire_hash"] == wave.questionnaire_hash
    assert len(answers[rows[0]["id"]]) > 40


async def test_privacy_no_outside_assets_and_only_needed_cookies(
    client: Any, wave: Setup
) -> None:
    who = Respondent(client, wave.open_path)
    page = await who.start("?lang=ar")
    thanks = await who.finish(page)
    for html in (page.text, thanks.text):
        assert not re.search(r'(src|href|action)="(https?:)?//', html)
        assert "<script>" not in html and "style=" not in html
    assert set(client.cookies.keys()) == {"survey_lang", "survey_resume"}
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
