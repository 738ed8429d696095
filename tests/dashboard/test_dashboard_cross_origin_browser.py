"""In headless Chromium: a grantee signed in to the dashboard visits a page on another
port of the same host (same site, so the SameSite=strict cookie goes along), which
auto-submits a text/plain form to the API to close a wave. The API refuses it and the
wave stays open; the same write from the dashboard's own origin still works."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from harness import fetch, run  # tests/browser: the web survey's browser harness

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
EMAIL = "grantee-xo@dash.example"


def _seed(server: Any) -> dict[str, int]:
    from survey import db
    from survey.access import SYSTEM
    from survey.schemas import KeyIn, ProgramIn, SiteIn, UserIn
    from survey.services import programs, users

    async def go() -> tuple[int, int, str]:
        conn = await db.connect(server.settings.database_url or "")
        try:
            program = await programs.create_program(
                conn, SYSTEM, ProgramIn(slug="cross-origin", name="Cross origin")
            )
            site = await programs.create_site(conn, SYSTEM, program.id, SiteIn(name="North"))
            user = await users.create_user(conn, SYSTEM, UserIn(
                email=EMAIL, name="Dana", role="grantee", password=PASSWORD,
                program_ids=[program.id],
            ))
            key = await users.create_key(conn, SYSTEM, user.id, KeyIn(name="seed"))
            return program.id, site.id, key.key
        finally:
            await conn.close()

    pid, site, key = run(go())
    h = {"Authorization": f"Bearer {key}"}
    body = {
        "name": "Baseline", "phase": "pre", "questionnaire_id": "community-trust",
        "languages": ["en"], "sites": [{"site_id": site, "target_n": 300}],
    }
    with httpx.Client(base_url=server.url, headers=h) as api:
        wave = api.post(f"/api/v1/programs/{pid}/waves", json=body).json()["id"]
        assert api.post(f"/api/v1/programs/{pid}/waves/{wave}/launch").status_code == 200
    return {"program": pid, "site": site, "wave": wave}


@pytest.fixture
def evil_site(server: Any) -> Iterator[tuple[str, dict[str, int]]]:
    """A page on another port of 127.0.0.1 that posts the reviewer's form on load."""
    ids = _seed(server)
    action = f"{server.url}/api/v1/programs/{ids['program']}/waves/{ids['wave']}/close"
    page = (
        "<!doctype html><html><body>"
        f'<form method=post enctype="text/plain" action="{action}">'
        """<input type=hidden name='{"x":"' value='"}'></form>"""
        "<script>document.forms[0].submit()</script></body></html>"
    ).encode()

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/evil.html", ids
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def test_form_from_another_port_cannot_close_a_wave(
    server: Any, page: Any, evil_site: tuple[str, dict[str, int]]
) -> None:
    evil, ids = evil_site
    page.goto(f"{server.url}/dashboard/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "survey_session" in {c["name"] for c in page.context.cookies()}

    with page.expect_response(lambda r: r.url.endswith("/close")) as sent:
        page.goto(evil)
    response = sent.value
    assert response.status == 403, response.text()
    assert response.json()["extra"] == {"code": "cross_origin"}
    wave = fetch(server, "SELECT state FROM waves WHERE id = $1", ids["wave"])
    assert wave[0]["state"] == "open"

    # The dashboard's own origin may still write through the API with the cookie.
    page.goto(f"{server.url}/dashboard")
    url = f"/api/v1/programs/{ids['program']}/waves/{ids['wave']}/invitations"
    status = page.evaluate(
        """async ([url, site]) => (await fetch(url, {
            method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({site_id: site, count: 1}),
        })).status""",
        [url, ids["site"]],
    )
    assert status == 201
