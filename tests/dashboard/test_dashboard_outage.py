"""A dashboard form posted while the database is away: nothing typed is lost. The 503
page says nothing was saved, in the reader's language, and offers to send the same
fields again; the sign-in form comes back with the email (never the password). The
page's language links lead to pages that answer a GET, not to the POST's address.

The outage is real: the app's pool is swapped for one whose server refuses
connections (a closed port), then put back."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from html import unescape
from typing import Any

from forms import HTML, Staff, form, signed_in

from survey import db
from survey.db import Conn


@contextlib.asynccontextmanager
async def outage(client: Any) -> AsyncIterator[None]:
    state = client.app.state
    kept = state.pool
    # Made and closed on the app's own event loop (the test client's portal thread).
    state.pool = client.blocking_portal.call(
        lambda: db.create_pool("postgresql://survey@127.0.0.1:1/survey", min_size=0, max_size=1))
    try:
        yield
    finally:
        client.blocking_portal.call(state.pool.close)
        state.pool = kept


def _language_links(html: str) -> list[str]:
    nav = html.split('class="languages"')[1].split("</nav>")[0]
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', nav)]


async def _signed_in(client: Any, conn: Conn) -> Staff:
    return await signed_in(client, conn)


async def test_a_site_typed_during_an_outage_can_be_sent_again(
    client: Any, actors: Any, conn: Conn
) -> None:
    staff = await _signed_in(client, conn)
    pid = actors.programs["own"]
    page = await staff.get(f"/dashboard/programs/{pid}?lang=es")
    sent = dict(form(page.text, "/sites")["fields"])
    async with outage(client):
        r = await staff.submit(page, "/sites", {"name": "Tacoma", "kind": "city"})
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"]
        assert "Servicio no disponible temporalmente" in r.text
        assert "Service temporarily unavailable" not in r.text
        assert "No se guardó nada" in r.text
        again = form(r.text, f"/dashboard/programs/{pid}/sites")
        assert again["method"] == "post"
        fields = dict(again["fields"])
        assert fields["name"] == "Tacoma" and fields["kind"] == "city"
        assert fields["csrf"] == sent["csrf"]
        assert "Intentar de nuevo" in r.text
        links = _language_links(r.text)
        assert links and all(link.startswith("/dashboard?lang=") for link in links), links

        # The wizard's first step, the same.
        wizard = await staff.client.post(
            f"/dashboard/programs/{pid}/waves/new",
            data={"csrf": sent["csrf"], "name": "Spring pulse"},
            headers=HTML, follow_redirects=False,
        )
        assert wizard.status_code == 503, wizard.text
        assert dict(form(wizard.text, f"/dashboard/programs/{pid}/waves/new")["fields"])[
            "name"] == "Spring pulse"
    for link in links:
        assert (await staff.get(link)).status_code == 200, link
    # The database back, "Try again" stores the site.
    stored = await staff.client.post(
        again["action"], data=fields, headers=HTML, follow_redirects=False)
    assert stored.status_code == 303, stored.text
    assert await conn.fetchval(
        "SELECT count(*) FROM sites WHERE program_id = $1 AND name = 'Tacoma'", pid) == 1


async def test_sign_in_during_an_outage_keeps_the_email_not_the_password(client: Any) -> None:
    staff = Staff(client)
    page = await staff.get("/dashboard/login?lang=es")
    async with outage(client):
        r = await staff.submit(page, "/dashboard/login", {
            "email": "grantee@example.org", "password": "secret-Password-123"})
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"]
    assert "secret-Password-123" not in r.text
    signin = form(r.text, "/dashboard/login")
    assert dict(signin["fields"])["email"] == "grantee@example.org"
    assert dict(signin["fields"])["password"] == ""
    assert "El servicio no está disponible" in r.text
    links = _language_links(r.text)
    assert links and all(link.startswith("/dashboard/login?lang=") for link in links), links
    for link in links:
        assert (await staff.get(link)).status_code == 200, link
