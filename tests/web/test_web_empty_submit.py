"""A survey sent with nothing answered anywhere is not a complete response: it would
count against a site's target sample and inflate its response rate. The last page
(and the one-page form) is shown again with a polite message, and nothing changes."""

from __future__ import annotations

from typing import Any

from respondent import HTML, Respondent, fill, stored
from survey_setup import Setup, parse_form

from survey.db import Conn

EMPTY = "You have not answered any question yet."
MESSAGE = (
    "You have not answered any question yet. Please answer at least one question "
    "before you submit, or simply close this page if you do not want to take part.")


def _blank(page: Any, action: str = "") -> list[tuple[str, str]]:
    form = parse_form(page.text, action)
    return fill(form, {item: "" for item in form.shown})


async def _to_last_page_blank(who: Respondent) -> Any:
    """Leave every page blank up to the last one; returns that page, unsent."""
    page = await who.start()
    for _ in range(40):
        form = parse_form(page.text, "")
        if "Send my answers" in page.text:
            return page
        posted = await who.post(form.action, _blank(page))
        assert posted.status_code == 303, posted.text
        page = await who.get(posted.headers["location"])
    raise AssertionError("no last page")


async def test_blank_last_page_is_not_complete(client: Any, conn: Conn, wave: Setup) -> None:
    who = Respondent(client, wave.personal_path())
    last = await _to_last_page_blank(who)
    form = parse_form(last.text, "")
    before = await stored(conn, wave.program_id)

    sent = await who.post(form.action, _blank(last))
    assert sent.status_code == 422, sent.text
    assert MESSAGE in sent.text and 'id="error-summary"' in sent.text
    assert "<title>Error:" in sent.text
    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["partial"]
    assert rows[0]["submitted_at"] is None
    assert answers == before[1]  # the last page's blanks were not stored either
    assert await conn.fetchval(
        "SELECT count(*) FROM invitations WHERE program_id = $1 AND completed_at IS NOT NULL",
        wave.program_id) == 0
    done = await who.get(wave.personal_path() + "/done", follow_redirects=False)
    assert done.status_code == 303  # not received

    # One answer is enough: the same page with it completes.
    again = parse_form(sent.text, "")
    item = again.shown[0]
    one = await who.post(again.action, fill(again, {i: "" for i in again.shown if i != item}))
    assert one.status_code == 303 and one.headers["location"].endswith("/done")
    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["complete"]
    given = [a for a in answers[rows[0]["id"]].values() if a["missing"] != "skipped"]
    assert [a["item_id"] for a in given] == [item]


async def test_a_dont_know_on_an_earlier_page_counts(client: Any, conn: Conn,
                                                     wave: Setup) -> None:
    # "Don't know" is an answer; a blank last page after it completes the response.
    who = Respondent(client, wave.personal_path())
    page, refused = await who.start(), False
    while "Send my answers" not in page.text:
        form = parse_form(page.text, "")
        overrides: dict[str, str | list[str]] = {i: "" for i in form.shown}
        choice = next((c for c in form.controls if c.get("value") == "dont_know"), None)
        if choice is not None and not refused:
            item = choice["name"].split("_", 1)[1]
            prefix = "m:" if choice["name"].startswith("m_") else ""
            overrides[item], refused = prefix + "dont_know", True
        posted = await who.post(form.action, fill(form, overrides))
        assert posted.status_code == 303, posted.text
        page = await who.get(posted.headers["location"])
    assert refused
    sent = await who.post(parse_form(page.text, "").action, _blank(page))
    assert sent.status_code == 303 and sent.headers["location"].endswith("/done")
    rows, _ = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["complete"]


async def test_blank_one_page_form_stores_nothing(client: Any, conn: Conn, wave: Setup,
                                                  resources: Any) -> None:
    who = Respondent(client, wave.personal_path(), {"Accept-Language": "es"})
    page = await who.get(wave.personal_path() + "/all")
    sent = await who.post(parse_form(page.text, "/all").action, _blank(page, "/all"))
    assert sent.status_code == 422, sent.text
    spanish = resources.catalogs.translator("es", True).gettext
    message = spanish(MESSAGE)
    assert message != MESSAGE and message in sent.text
    assert await conn.fetchval("SELECT count(*) FROM responses") == 0

    form = parse_form(sent.text, "/all")
    item = form.shown[0]
    one = await who.post(form.action, fill(form, {i: "" for i in form.shown if i != item}))
    assert one.status_code == 200, one.text
    rows, _ = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["complete"]


async def test_blank_open_link_one_page_form(client: Any, conn: Conn, wave: Setup) -> None:
    page = await client.get(wave.open_path + "/all", headers=HTML)
    form = parse_form(page.text, "/all")
    who = Respondent(client, wave.open_path)
    sent = await who.post(form.action, fill(form, {item: "" for item in form.shown}))
    assert sent.status_code == 422 and EMPTY in sent.text
    assert await conn.fetchval("SELECT count(*) FROM responses") == 0
