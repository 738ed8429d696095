"""Control characters in what residents type: PostgreSQL text cannot hold NUL, so a
NUL in a comment once failed the whole post (a generic 422 page, every answer lost).
Free text keeps tab and newline and drops the other C0 controls, on every path."""

from __future__ import annotations

from typing import Any

from respondent import HTML, Respondent, fill, stored
from survey_setup import Setup, parse_form

from survey.db import Conn

ES = {"Accept-Language": "es"}


async def test_one_page_form_drops_nul_from_a_comment_and_keeps_everything(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.open_path, headers=ES)
    page = await who.get(wave.open_path + "/all")
    form = parse_form(page.text, "/all")
    sent = await who.post(
        form.action, fill(form, {"safety_dark": "2", "comment": "hola\x00\x07 a\tb\r\nc"})
    )
    assert sent.status_code == 200, sent.text
    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["complete"]
    kept = answers[rows[0]["id"]]
    assert kept["comment"]["value_text"] == "hola a\tb\r\nc"
    assert kept["safety_dark"]["value_num"] == 2.0


async def test_one_page_form_with_an_error_shows_the_comment_again_without_nul(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.open_path, headers=ES)
    form = parse_form((await who.get(wave.open_path + "/all")).text, "/all")
    sent = await who.post(form.action, fill(form, {
        "safety_dark": "2", "participate_count": "9999", "comment": "hola\x00 vecinos"}))
    # The form again, in Spanish, with what was typed; not a generic error page.
    assert sent.status_code == 422
    assert 'action="' + form.action + '"' in sent.text
    assert "hola vecinos" in sent.text and "\x00" not in sent.text
    assert 'value="9999"' in sent.text
    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["partial"]
    assert answers[rows[0]["id"]]["comment"]["value_text"] == "hola vecinos"


async def test_page_by_page_text_input_drops_nul(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    await who.finish(await who.start(), {"comment": "\x00calles\x1b oscuras\x00",
                                         "zip_or_area": "98\x00118"})
    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["complete"]
    kept = answers[rows[0]["id"]]
    assert kept["comment"]["value_text"] == "calles oscuras"
    assert kept["zip_or_area"]["value_text"] == "98118"


async def test_a_nul_in_a_choice_or_a_number_is_dropped_too(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.open_path, headers=ES)
    form = parse_form((await who.get(wave.open_path + "/all")).text, "/all")
    sent = await who.post(form.action, fill(form, {
        "safety_dark": "2\x00", "participate_count": "\x003", "comment": "sigue aquí"}))
    assert sent.status_code == 200, sent.text
    rows, answers = await stored(conn, wave.program_id)
    kept = answers[rows[0]["id"]]
    assert kept["safety_dark"]["value_num"] == 2.0
    assert kept["participate_count"]["value_num"] == 3.0


async def test_a_nul_in_the_link_is_an_unknown_link(client: Any, wave: Setup) -> None:
    """Not a 422 from PostgreSQL comparing a NUL: no link holds one."""
    for path in (f"/s/{wave.tokens[0]}%00", f"/s/{wave.tokens[0]}%00/all",
                 f"/o/{wave.open_link}%00", f"/o/{wave.open_link}%00/all"):
        page = await client.get(path, headers={**HTML, **ES})
        assert page.status_code == 404, (path, page.text)
        assert "Invalid input" not in page.text
    who = Respondent(client, wave.personal_path())
    form = parse_form((await who.get(wave.personal_path() + "/all")).text, "/all")
    sent = await who.post(form.action.replace("/all", "%00/all"), fill(form))
    assert sent.status_code == 404


async def test_the_generic_error_page_speaks_the_residents_language(
    client: Any, conn: Conn, wave: Setup
) -> None:
    """Whatever still ends in a bare "Invalid input" (here a rule the database adds)
    is told in the resident's language, not half in English."""
    await conn.execute(
        "ALTER TABLE answers ADD CONSTRAINT no_boom CHECK (value_text IS DISTINCT FROM 'boom')"
    )
    who = Respondent(client, wave.open_path, headers=ES)
    form = parse_form((await who.get(wave.open_path + "/all")).text, "/all")
    sent = await who.post(form.action, fill(form, {"comment": "boom"}))
    assert sent.status_code == 422
    assert "Algo salió mal" in sent.text
    assert "Invalid input" not in sent.text and "Datos no válidos" in sent.text
    assert '<html lang="es" dir="ltr">' in sent.text
