"""Request limits: open links per client, unknown personal tokens, body size, and the
in-memory limiter itself."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from respondent import HTML
from survey_setup import Setup, parse_form

from survey.config import Settings
from survey.web.ratelimit import FixedWindowLimiter, client_key
from survey.web.state import MISS_LIMIT


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, open_link_rate_per_minute=5)


async def test_open_links_are_rate_limited_per_client(client: Any, wave: Setup) -> None:
    statuses = []
    for _ in range(7):
        response = await client.get(wave.open_path, headers={**HTML, "Accept-Language": "es"})
        statuses.append(response.status_code)
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert 1 <= int(response.headers["retry-after"]) <= 60
    # Before the link is resolved no wave allows unreviewed drafts, and the Spanish
    # text is a draft: the page is in English and says so, not lang="es".
    assert '<html lang="en" dir="ltr">' in response.text
    assert "<h1>Please wait a moment</h1>" in response.text
    # Personal links are not affected by the open-link limit.
    personal = await client.get(wave.personal_path(), headers=HTML)
    assert personal.status_code == 200


async def test_guessing_personal_tokens_is_cut_off(client: Any, wave: Setup) -> None:
    program = wave.program_id
    for n in range(MISS_LIMIT):
        miss = await client.get(f"/s/{program}-guess{n:04d}xxxxxxxxxxxxxx", headers=HTML)
        assert miss.status_code == 404
    blocked = await client.get(f"/s/{program}-guess-more", headers=HTML)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    # Once blocked, even a real token waits: a guesser cannot tell hits from misses.
    real = await client.get(wave.personal_path(), headers=HTML)
    assert real.status_code == 429


async def test_oversized_form_is_refused_and_nothing_stored(client: Any, conn: Any,
                                                            wave: Setup) -> None:
    landing = await client.get(wave.personal_path(), headers=HTML)
    form = parse_form(landing.text, "/start")
    started = await client.post(form.action, data=form.hidden, headers=HTML,
                                follow_redirects=False)
    page = await client.get(started.headers["location"], headers=HTML)
    form = parse_form(page.text, "")
    data = {**form.hidden, "shown": "safety_dark", "q_safety_dark": "x" * 300_000}
    response = await client.post(form.action, data=data, headers=HTML)
    assert response.status_code == 413
    assert "too long" in response.text
    assert await conn.fetchval("SELECT count(*) FROM answers") == 0


def test_fixed_window_limiter_counts_and_resets() -> None:
    now = [0.0]
    limiter = FixedWindowLimiter(3, 60, clock=lambda: now[0])
    key = client_key("secret", "203.0.113.9")
    assert [limiter.hit(key) for _ in range(3)] == [None, None, None]
    assert limiter.hit(key) == 60
    now[0] = 59.5
    assert limiter.retry_after(key) == 1
    now[0] = 60.0
    assert limiter.hit(key) is None
    assert limiter.hit(client_key("secret", "203.0.113.10")) is None


def test_limiter_memory_is_bounded() -> None:
    limiter = FixedWindowLimiter(1, 60, max_keys=100, clock=lambda: 0.0)
    for n in range(1000):
        limiter.hit(n.to_bytes(4, "big"))
    assert len(limiter._counts) <= 100


def test_client_key_hides_the_address() -> None:
    key = client_key("secret", "203.0.113.9")
    assert b"203.0.113.9" not in key and len(key) == 16
    assert key != client_key("other-secret", "203.0.113.9")


async def test_pages_of_started_open_responses_get_more_room(client: Any, wave: Setup) -> None:
    """Five new visits a minute, but a started response can go on page after page."""
    from respondent import Respondent

    who = Respondent(client, wave.open_path)
    thanks = await who.finish(await who.start())
    assert "Your answers have been received" in thanks.text
    for _ in range(3):
        await client.get(wave.open_path, headers=HTML)
    assert (await client.get(wave.open_path, headers=HTML)).status_code == 429
