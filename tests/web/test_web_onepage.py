"""The one-page form (/s/<token>/all, /o/<link>/all) with JavaScript off: every
question on one page, sent once, stored as the page-by-page survey would store it."""

from __future__ import annotations

import asyncio
from typing import Any

from respondent import HTML, Respondent, fill, stored
from survey_setup import Setup, parse_form

from survey.db import Conn
from survey.services.versions import frozen_questionnaire


async def _form(who: Respondent, path: str) -> Any:
    page = await who.get(path)
    assert page.status_code == 200, page.text
    return parse_form(page.text, "/all")


def _values(answers: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        item: (a["value_num"], a["value_text"], a["value_codes"], a["missing"])
        for item, a in answers.items()
    }


async def test_page_shows_every_question_and_marks_the_conditional_ones(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    page = await who.get(wave.personal_path() + "/all")
    assert page.status_code == 200
    form = parse_form(page.text, "/all")
    assert form.action == wave.personal_path() + "/all"
    # Every item of the instrument is on the page, conditional ones included.
    q = await frozen_questionnaire(conn, wave.questionnaire_hash)
    assert form.shown == [item.id for item in q.items]
    assert "enc_respect" in form.shown and "contact_12m" in form.shown
    assert 'id="enc_respect-if"' in page.text
    assert 'id="contact_12m-if"' not in page.text
    assert "Answer this only if it applies to you" in page.text
    # One page cannot promise saving page by page.
    assert "Your answers are saved on each page" not in page.text
    assert await conn.fetchval("SELECT count(*) FROM responses") == 0
    # The landing page offers it.
    landing = await who.get(wave.personal_path())
    assert f'href="{wave.personal_path()}/all"' in landing.text


async def test_one_post_stores_what_the_page_by_page_survey_stores(
    client: Any, conn: Conn, wave: Setup
) -> None:
    # The same answers, page by page (token 0) and on one page (token 1).
    stepwise = Respondent(client, wave.personal_path(0))
    await stepwise.finish(await stepwise.start())
    one = Respondent(client, wave.personal_path(1))
    form = await _form(one, wave.personal_path(1) + "/all")
    sent = await one.post(form.action, fill(form))
    assert sent.status_code == 200, sent.text
    assert "Your answers have been received" in sent.text

    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["complete", "complete"]
    assert all(r["channel"] == "web" and r["submitted_at"] is not None for r in rows)
    first, second = (answers[r["id"]] for r in rows)
    assert _values(second) == _values(first)
    assert len(second) > 30
    completed = await conn.fetch(
        "SELECT completed_at FROM invitations WHERE program_id = $1 ORDER BY id LIMIT 2",
        wave.program_id,
    )
    assert all(r["completed_at"] is not None for r in completed)
    # Both were rendered for exports as they completed (a trigger at commit, which
    # the group commit's statement fires as any completion does): the same cells.
    cells = await conn.fetch(
        "SELECT response_id, cells FROM export_cells WHERE program_id = $1"
        " ORDER BY response_id", wave.program_id)
    assert [c["response_id"] for c in cells] == [r["id"] for r in rows]
    assert cells[0]["cells"] == cells[1]["cells"] and "All fine here" in cells[0]["cells"]


async def test_answers_to_questions_that_do_not_apply_are_dropped(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    form = await _form(who, wave.personal_path() + "/all")
    # "No" contact, yet the encounter questions were answered too.
    sent = await who.post(form.action, fill(form, {"contact_12m": "no", "enc_respect": "5"}))
    assert sent.status_code == 200, sent.text
    _, answers = await stored(conn, wave.program_id)
    (only,) = answers.values()
    assert only["contact_12m"]["value_codes"] == ["no"]
    assert not any(item.startswith("enc_") for item in only)

    who2 = Respondent(client, wave.personal_path(1))
    form = await _form(who2, wave.personal_path(1) + "/all")
    sent = await who2.post(form.action, fill(form, {"contact_12m": "yes", "enc_respect": "5"}))
    assert sent.status_code == 200
    rows, answers = await stored(conn, wave.program_id)
    assert answers[rows[1]["id"]]["enc_respect"]["value_num"] == 5.0


async def test_errors_keep_what_was_typed_and_store_the_valid_answers(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    form = await _form(who, wave.personal_path() + "/all")
    bad = fill(form, {"participate_count": "9999", "comment": "Streetlights on Elm, please"})
    sent = await who.post(form.action, bad)
    assert sent.status_code == 422
    assert "Please check your answers" in sent.text
    assert 'href="#participate_count-input"' in sent.text
    assert 'value="9999"' in sent.text  # what was typed is still there
    assert "Streetlights on Elm, please" in sent.text
    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["partial"]
    kept = answers[rows[0]["id"]]
    assert kept["comment"]["value_text"] == "Streetlights on Elm, please"
    assert "participate_count" not in kept

    # The page-by-page survey carries on from the same response…
    resumed = await who.get(wave.personal_path())
    assert "/q/" in str(resumed.url)
    # …and so does the one-page form, which now shows the stored answers.
    again = await _form(who, wave.personal_path() + "/all")
    fixed = await who.post(again.action, fill(again, {"participate_count": "12"}))
    assert fixed.status_code == 200, fixed.text
    rows, answers = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["complete"]
    assert answers[rows[0]["id"]]["participate_count"]["value_num"] == 12.0


async def test_double_posts_store_one_response(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    form = await _form(who, wave.personal_path() + "/all")
    data = fill(form)
    changed = fill(form, {"comment": "second try"})
    results = await asyncio.gather(*(who.post(form.action, d) for d in [data, changed, data]))
    rows, answers = await stored(conn, wave.program_id)
    assert len(rows) == 1 and rows[0]["status"] == "complete"
    # Whichever came first is stored and thanked, so is a post repeating it (a double
    # click); a post with other answers hears they were not saved.
    kept = answers[rows[0]["id"]]["comment"]["value_text"]
    for sent, result in zip([data, changed, data], results, strict=True):
        if dict(sent)["q_comment"] == kept:
            assert result.status_code == 200
            assert "Your answers have been received" in result.text
        else:
            assert result.status_code == 409
            assert "were not saved" in result.text
    # A reload after the thank-you page posts again and changes nothing.
    before = _values(answers[rows[0]["id"]])
    reload = await who.post(form.action, fill(form, {"comment": "third"}))
    assert reload.status_code == 409
    _, answers = await stored(conn, wave.program_id)
    assert _values(answers[rows[0]["id"]]) == before
    # The page itself now points to the thank-you page.
    page = await who.get(wave.personal_path() + "/all", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].endswith("/done")


async def test_forged_post_is_refused_and_stores_nothing(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    form = await _form(who, wave.personal_path() + "/all")
    data = [(k, "forged" if k == "csrf" else v) for k, v in fill(form)]
    sent = await who.post(form.action, data)
    assert sent.status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM responses") == 0
    # A token for another form of the same link does not do either.
    landing = parse_form((await who.get(wave.personal_path())).text, "/start")
    data = [(k, landing.hidden["csrf"] if k == "csrf" else v) for k, v in fill(form)]
    assert (await who.post(form.action, data)).status_code == 403


async def test_open_link_one_page_needs_its_cookie_and_flags_repeats(
    client: Any, conn: Conn, wave: Setup
) -> None:
    path = wave.open_path + "/all"
    who = Respondent(client, wave.open_path)
    page = await who.get(path)
    assert page.status_code == 200
    assert "survey_resume" in page.headers.get("set-cookie", "")
    form = parse_form(page.text, "/all")
    sent = await who.post(form.action, fill(form))
    assert sent.status_code == 200, sent.text
    assert "Your answers have been received" in sent.text
    # Someone else on the same phone: "answer again" starts a new response.
    again = parse_form(sent.text, "/start")
    started = await who.post(again.action, fill(again))
    assert started.status_code == 303
    form2 = await _form(who, path)
    assert (await who.post(form2.action, fill(form2))).status_code == 200
    rows, _ = await stored(conn, wave.program_id)
    assert [r["status"] for r in rows] == ["complete", "complete"]
    assert [r["duplicate_suspect"] for r in rows] == [False, True]

    # Without the cookie the form cannot be bound to anyone: nothing is stored.
    client.cookies.clear()
    bare = await client.post(path, content=b"csrf=x", headers={
        **HTML, "Content-Type": "application/x-www-form-urlencoded"})
    assert bare.status_code == 400
    assert await conn.fetchval("SELECT count(*) FROM responses") == 2


async def test_closed_wave_takes_no_one_page_answers(
    client: Any, conn: Conn, wave: Setup
) -> None:
    who = Respondent(client, wave.personal_path())
    form = await _form(who, wave.personal_path() + "/all")
    await conn.execute("UPDATE waves SET closes_at = now() - interval '1 minute'"
                       " WHERE program_id = $1", wave.program_id)
    sent = await who.post(form.action, fill(form))
    assert sent.status_code == 410
    assert await conn.fetchval("SELECT count(*) FROM responses") == 0


async def test_each_resident_gets_their_own_thank_you_page(
    client: Any, conn: Conn, wave: Setup
) -> None:
    # The page is rendered once per wave and language and shared: each copy must still
    # link to its own resident's survey only, in the language they were served.
    pages = []
    for n, language in enumerate(["en", "en", "es"]):
        who = Respondent(client, wave.personal_path(n), {"Accept-Language": language})
        form = await _form(who, wave.personal_path(n) + "/all")
        sent = await who.post(form.action, fill(form))
        assert sent.status_code == 200, sent.text
        assert sent.headers["cache-control"] == "no-store"
        assert sent.headers["content-type"] == "text/html; charset=utf-8"
        pages.append(sent.text)
        # The same as the thank-you page rendered afresh (/done), but for the path
        # the language links lead back to.
        done = await who.get(wave.personal_path(n) + "/done")
        assert done.status_code == 200
        assert sent.text == done.text.replace("/done?lang=", "/all?lang=")
    first, second, spanish = pages
    paths = [wave.personal_path(n) for n in range(3)]
    assert f'href="{paths[0]}/all?lang=es"' in first and paths[1] not in first
    assert f'href="{paths[1]}/all?lang=es"' in second and paths[0] not in second
    assert second == first.replace(paths[0], paths[1])
    assert "Your answers have been received" in first
    assert "Recibimos sus respuestas" in spanish and '<html lang="es"' in spanish
    assert f'href="{paths[2]}/all?lang=en"' in spanish
    assert "\x00" not in first + second + spanish
