"""Security checks of the resident survey: every form POST needs its CSRF token, and
guessing link tokens or codes runs into a 429 with Retry-After.

Complements test_web_states (forged tokens on a personal link's start) and
test_web_limits (the limiters themselves): here every POST route of ``/s/`` and ``/o/``
is tried, and the route list is checked so a new form route cannot skip the test.
"""

from __future__ import annotations

import secrets
from typing import Any

import msgspec
import pytest
from respondent import HTML, Respondent, fill
from survey_setup import Setup, parse_form

from survey.config import Settings
from survey.db import Conn
from survey.web.state import MISS_LIMIT, MISS_WINDOW

OPEN_RATE = 20  # room for every tampered post of every form of one visit
FORM_ROUTES = {
    "/s/{token:str}/start",
    "/s/{token:str}/q/{section:str}",
    "/o/{link:str}/start",
    "/o/{link:str}/q/{section:str}",
    "/s/{token:str}/all",
    "/o/{link:str}/all",
    "/o/{link:str}/new",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, open_link_rate_per_minute=OPEN_RATE)


def test_every_resident_form_route_is_covered(resources: Any) -> None:
    from survey.app import create_app

    app = create_app(resources.settings, resources=resources)
    posts = {
        route.path
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if "POST" in handler.http_methods and route.path.startswith(("/s/", "/o/"))
    }
    assert posts == FORM_ROUTES


@pytest.mark.parametrize("kind", ["s", "o"])
async def test_every_form_post_needs_its_csrf_token(
    client: Any, conn: Conn, wave: Setup, kind: str
) -> None:
    base = wave.personal_path() if kind == "s" else wave.open_path
    who = Respondent(client, base)
    landing = await who.get(base)
    start = parse_form(landing.text, "/start")
    whole = parse_form((await who.get(base + "/all")).text, "/all")
    page = await who.start()
    form = parse_form(page.text, "")
    answers = fill(form)
    posts = [(start.action, fill(start)), (form.action, answers), (whole.action, fill(whole))]
    if kind == "o":  # "Not you? Start a new survey"
        not_you = parse_form(page.text, "/new")
        assert not_you.action == f"{base}/new"
        posts.append((not_you.action, fill(not_you)))
    for action, data in posts:
        real = dict(data)["csrf"]
        others = [(k, v) for k, v in data if k != "csrf"]
        tampered = real[:-1] + ("1" if real[-1] == "0" else "0")
        # Non-ASCII once made hmac.compare_digest raise (a 500; found by test_web_fuzz).
        for token in (None, "", "x.y", tampered, real[:-1] + "é", "ü.ö"):
            sent = others if token is None else [*others, ("csrf", token)]
            refused = await who.post(action, sent)
            assert refused.status_code == 403, (action, token, refused.status_code)
            assert "could not accept this form" in refused.text
    before = await conn.fetchval("SELECT count(*) FROM answers")
    assert before == 0
    # The real token still works afterwards: refusals change nothing.
    assert (await who.post(form.action, answers)).status_code == 303


async def test_guessing_personal_tokens_gets_429_with_retry_after(
    client: Any, wave: Setup
) -> None:
    pid = wave.program_id
    statuses = []
    for n in range(MISS_LIMIT + 5):
        guess = f"/s/{pid}-{secrets.token_urlsafe(16)}"
        # Misses count whichever step is asked for, GET or POST.
        if n % 3 == 0:
            r = await client.get(guess, headers=HTML)
        elif n % 3 == 1:
            r = await client.post(guess + "/start", data={"csrf": "x.y"}, headers=HTML)
        else:
            r = await client.get(guess + "/q/neighborhood", headers=HTML)
        statuses.append(r.status_code)
    assert statuses[:MISS_LIMIT] == [404] * MISS_LIMIT
    assert statuses[MISS_LIMIT:] == [429] * 5
    assert 0 < int(r.headers["retry-after"]) <= MISS_WINDOW
    assert r.headers["content-type"].startswith("text/html")
    api = await client.get(f"/s/{pid}-{secrets.token_urlsafe(16)}")
    assert api.status_code == 429 and api.json()["extra"]["code"] == "rate_limited"


async def test_guessing_open_link_codes_gets_429_with_retry_after(
    client: Any, wave: Setup
) -> None:
    pid = wave.program_id
    statuses = []
    for _ in range(OPEN_RATE + 4):
        r = await client.get(f"/o/{pid}-{secrets.token_hex(4)}", headers=HTML)
        statuses.append(r.status_code)
    assert statuses[:OPEN_RATE] == [404] * OPEN_RATE and statuses[OPEN_RATE:] == [429] * 4
    assert 0 < int(r.headers["retry-after"]) <= 60
    # The real code waits too: a guesser learns nothing from the answer.
    assert (await client.get(wave.open_path, headers=HTML)).status_code == 429
