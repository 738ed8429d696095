"""A resident's answers posted while PostgreSQL is down (a real outage: the test run's
server stopped with ``pg_ctl``): the 503 page says they were not saved, in the
resident's language, and sends them again as they were posted once it is back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

from respondent import Respondent, fill
from survey_setup import Setup, parse_form

from survey import db, embedded
from tests.faults.pg import socket_dir, start, stop

SPANISH_NOTICE = "Partes de esta traducción todavía no han sido revisadas."


@contextlib.asynccontextmanager
async def outage(server: embedded.EmbeddedPostgres) -> AsyncIterator[None]:
    where = socket_dir(server)
    await asyncio.to_thread(stop, server)
    try:
        yield
    finally:
        await asyncio.to_thread(start, server, where)


class Resend(HTMLParser):
    """The page's forms: action, every field (in order), and their buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({**a, "fields": [], "buttons": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["fields"].append((a["name"], a.get("value", "")))
        elif tag == "button" and self.forms:
            self.forms[-1]["buttons"].append(a)


def resend_form(html: str) -> dict[str, Any]:
    parser = Resend()
    parser.feed(html)
    posting = [f for f in parser.forms if f.get("method") == "post"]
    assert len(posting) == 1, html
    return posting[0]


async def _again_until_saved(who: Respondent, form: dict[str, Any]) -> Any:
    """Press "Send my answers again" until the database answers (it has just started)."""
    for _ in range(50):
        r = await who.post(form["action"], form["fields"])
        if r.status_code != 503:
            return r
        form = resend_form(r.text)
        await asyncio.sleep(0.1)
    raise AssertionError(r.text)


async def test_one_page_answers_posted_in_an_outage_can_be_sent_again(
    client: Any, wave: Setup, pg_server: embedded.EmbeddedPostgres, database_url: str
) -> None:
    who = Respondent(client, wave.personal_path(), headers={"Accept-Language": "en"})
    page = await who.get(wave.personal_path() + "/all")
    form = parse_form(page.text, "/all")
    # A comment with a line break and markup goes back as it was typed.
    text = next(c["name"][2:] for c in form.controls if c["tag"] == "textarea")
    sent = fill(form, {text: 'Line one\r\nline "two" <b>&amp;</b>'})
    async with outage(pg_server):
        r = await who.post(form.action, sent)
    assert r.status_code == 503, r.text
    assert int(r.headers["retry-after"]) > 0
    assert r.headers["cache-control"] == "no-store"
    assert '<html lang="en" dir="ltr">' in r.text
    assert "<h1>Your answers have not been saved yet</h1>" in r.text
    again = resend_form(r.text)
    # Exactly what was posted (form token and language included), to the same address.
    assert again["action"] == form.action
    assert again["fields"] == sent
    assert any(name == "csrf" or "token" in name for name, _ in sent)
    assert [b.get("type") for b in again["buttons"]] == ["submit"]
    assert ">Send my answers again</button>" in r.text
    assert "<script>" not in r.text  # the CSP allows no inline script
    # The database is back: the button stores the response, once.
    saved = await _again_until_saved(who, again)
    assert saved.status_code == 200, saved.text
    assert "have been received" in saved.text
    twice = await who.post(again["action"], again["fields"])
    assert twice.status_code == 200
    conn = await db.connect(database_url)
    try:
        rows = await conn.fetch("SELECT status FROM responses")
        answers = await conn.fetchval("SELECT count(*) FROM answers")
    finally:
        await conn.close()
    assert [r["status"] for r in rows] == ["complete"]
    assert answers > 0


async def test_a_page_posted_in_an_outage_is_sent_again_in_spanish(
    client: Any, wave: Setup, pg_server: embedded.EmbeddedPostgres, database_url: str
) -> None:
    # The wave was launched with its unreviewed Spanish; the browser asks for English,
    # the resident picked Spanish (the page's form carries lang=es).
    who = Respondent(client, wave.open_path, headers={"Accept-Language": "en"})
    first = await who.start("?lang=es")
    assert '<html lang="es"' in first.text
    form = parse_form(first.text, "")
    sent = fill(form)
    assert ("lang", "es") in sent
    async with outage(pg_server):
        r = await who.post(form.action, sent)
    assert r.status_code == 503, r.text
    assert '<html lang="es" dir="ltr">' in r.text
    assert "<h1>Sus respuestas todavía no se han guardado</h1>" in r.text
    assert ">Enviar mis respuestas de nuevo</button>" in r.text
    assert SPANISH_NOTICE in r.text  # honest: a draft, as the survey's pages said
    again = resend_form(r.text)
    assert again["action"] == form.action and again["fields"] == sent
    saved = await _again_until_saved(who, again)
    assert saved.status_code == 303, saved.text
    assert "/q/" in saved.headers["location"]
    conn = await db.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM responses") == 1
        assert await conn.fetchval("SELECT count(*) FROM answers") > 0
    finally:
        await conn.close()


def _not_saved(r: Any, form: Any, sent: list[tuple[str, str]], lang: str) -> dict[str, Any]:
    """A 503 in ``lang`` whose one form posts ``sent`` again, as it was, to ``form``'s
    address: no script, its token too."""
    assert r.status_code == 503, r.text
    assert r.headers["cache-control"] == "no-store"
    assert f'<html lang="{lang}" dir="ltr">' in r.text
    assert ("<h1>Sus respuestas todavía no se han guardado</h1>" if lang == "es" else
            "<h1>Your answers have not been saved yet</h1>") in r.text
    again = resend_form(r.text)
    assert again["action"] == form.action and again["fields"] == sent
    assert ("csrf", form.hidden["csrf"]) in sent and ("lang", lang) in sent
    assert [b.get("type") for b in again["buttons"]] == ["submit"]
    assert "<script>" not in r.text  # no inline script (the CSP allows none)
    return again


async def test_the_consent_posted_in_an_outage_is_sent_again_in_the_chosen_language(
    client: Any, wave: Setup, pg_server: embedded.EmbeddedPostgres, database_url: str
) -> None:
    # The browser asks for English; the resident chose Spanish on the consent page.
    who = Respondent(client, wave.personal_path(), headers={"Accept-Language": "en"})
    landing = await who.get(wave.personal_path() + "?lang=es")
    form = parse_form(landing.text, "/start")
    sent = fill(form)
    async with outage(pg_server):
        r = await who.post(form.action, sent)
    again = _not_saved(r, form, sent, "es")
    assert ">Enviar mis respuestas de nuevo</button>" in r.text
    assert SPANISH_NOTICE in r.text
    saved = await _again_until_saved(who, again)
    assert saved.status_code == 303, saved.text
    assert "/q/" in saved.headers["location"]
    conn = await db.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM responses") == 1
    finally:
        await conn.close()


async def test_not_you_posted_in_an_outage_is_sent_again(
    client: Any, wave: Setup, pg_server: embedded.EmbeddedPostgres, database_url: str
) -> None:
    who = Respondent(client, wave.open_path, headers={"Accept-Language": "en"})
    page = await who.start()
    key = client.cookies["survey_resume"]
    form = parse_form(page.text, "/new")  # "Not you? Start a new survey"
    sent = fill(form)
    async with outage(pg_server):
        r = await who.post(form.action, sent)
    again = _not_saved(r, form, sent, "en")
    assert ">Send my answers again</button>" in r.text
    assert client.cookies["survey_resume"] == key  # nothing forgotten yet
    saved = await _again_until_saved(who, again)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == wave.open_path
    assert client.cookies["survey_resume"] != key


async def test_outage_pages_speak_the_language_a_resident_was_shown(
    client: Any, wave: Setup, pg_server: embedded.EmbeddedPostgres
) -> None:
    html = {"Accept": "text/html", "Accept-Language": "en"}
    async with outage(pg_server):
        page = await client.get(wave.personal_path() + "/all?lang=es", headers=html)
        # The browser's language alone is no sign the resident read the drafts.
        bare = await client.get(wave.personal_path(), headers={**html, "Accept-Language": "es"})
        client.cookies.set("survey_lang", "es")
        remembered = await client.get(wave.personal_path(), headers=html)
    assert bare.status_code == 503 and '<html lang="en" dir="ltr">' in bare.text
    for r in (page, remembered):
        assert r.status_code == 503, r.text
        assert '<html lang="es" dir="ltr">' in r.text
        assert "<h1>Algo salió mal</h1>" in r.text
        assert SPANISH_NOTICE in r.text
        assert "Send my answers again" not in r.text and "<form" not in r.text


async def test_unknown_link_in_the_language_asked_for(client: Any) -> None:
    r = await client.get("/s/1-nosuchlink?lang=es", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert '<html lang="es" dir="ltr">' in r.text
    assert "<h1>No se encontró la encuesta</h1>" in r.text
    assert SPANISH_NOTICE in r.text
    # The browser's language alone is no sign the resident read the drafts.
    bare = await client.get("/s/1-nosuchlink", headers={
        "Accept": "text/html", "Accept-Language": "es"})
    assert '<html lang="en" dir="ltr">' in bare.text


async def test_refused_posts_offer_nothing_to_send_again(client: Any, wave: Setup) -> None:
    who = Respondent(client, wave.personal_path())
    page = await who.get(wave.personal_path() + "/all")
    form = parse_form(page.text, "/all")
    forged = [(k, "forged" if k == "csrf" else v) for k, v in fill(form)]
    r = await who.post(form.action, forged)
    assert r.status_code == 403, r.text
    assert "Send my answers again" not in r.text
