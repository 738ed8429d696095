"""API writes signed in by the session cookie must come from our own origin, and JSON
bodies must say so: a page on another port of the host (same site, so SameSite=strict
does not help) could otherwise post a text/plain form that closes a wave."""

from __future__ import annotations

from typing import Any

from survey.db import Conn
from survey.services import users

OWN = "http://testserver.local"
FOREIGN = "http://testserver.local:9999"
# What `<form enctype="text/plain">` with <input name='{"x":"' value='"}'> sends.
FORM_JSON = b'{"x":"="}\r\n'


async def _signed_in_grantee(client: Any, conn: Conn) -> None:
    uid = await conn.fetchval("SELECT id FROM users WHERE email = 'grantee@example.org'")
    await users.set_password(conn, uid, "correct horse battery")
    session_id, _ = await users.login(conn, "grantee@example.org", "correct horse battery")
    client.cookies.set("survey_session", session_id)


async def _open_wave(client: Any, actors: Any) -> tuple[int, int, int]:
    pid = actors.programs["own"]
    h = actors.headers("grantee")
    r = await client.post(f"/api/v1/programs/{pid}/sites", json={"name": "North"}, headers=h)
    site = r.json()["id"]
    body = {
        "name": "Baseline", "phase": "pre", "questionnaire_id": "community-trust",
        "languages": ["en"], "sites": [{"site_id": site, "target_n": 300}],
    }
    r = await client.post(f"/api/v1/programs/{pid}/waves", json=body, headers=h)
    wave = r.json()["id"]
    r = await client.post(f"/api/v1/programs/{pid}/waves/{wave}/launch", headers=h)
    assert r.status_code == 200, r.text
    return pid, wave, site


async def _state(conn: Conn, wave: int) -> str:
    return str(await conn.fetchval("SELECT state FROM waves WHERE id = $1", wave))


async def test_cookie_write_from_another_origin_is_refused(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, wave, site = await _open_wave(client, actors)
    await _signed_in_grantee(client, conn)
    close = f"/api/v1/programs/{pid}/waves/{wave}/close"
    plain = {"content-type": "text/plain"}
    for headers in (
        {**plain, "origin": FOREIGN},
        {**plain, "origin": "null"},
        {**plain, "sec-fetch-site": "same-site"},
        {**plain, "referer": f"{FOREIGN}/evil.html"},
        plain,  # nothing shows where it came from
    ):
        r = await client.post(close, content=FORM_JSON, headers=headers)
        assert r.status_code == 403, (headers, r.text)
        assert r.json()["extra"] == {"code": "cross_origin"}
    # JSON from a foreign page is refused as well, and so are CSV uploads.
    r = await client.post(
        f"/api/v1/programs/{pid}/waves/{wave}/invitations",
        json={"site_id": site, "count": 3}, headers={"origin": FOREIGN},
    )
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/programs/{pid}/contacts", content=b"phone\n2065550100\n",
        headers={"origin": FOREIGN, "content-type": "text/csv"},
    )
    assert r.status_code == 403
    assert await _state(conn, wave) == "open"
    assert await conn.fetchval("SELECT count(*) FROM invitations WHERE wave_id = $1", wave) == 0
    assert await conn.fetchval("SELECT count(*) FROM contacts WHERE program_id = $1", pid) == 0
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'wave.close'") == 0


async def test_text_plain_is_not_read_as_json(client: Any, actors: Any, conn: Conn) -> None:
    pid, wave, site = await _open_wave(client, actors)
    url = f"/api/v1/programs/{pid}/waves/{wave}/invitations"
    body = b'{"site_id": %d, "count": 3}' % site
    await _signed_in_grantee(client, conn)
    r = await client.post(url, content=body, headers={"origin": OWN, "content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["extra"] == {"code": "unsupported_media_type"}
    # An API key does not make text/plain JSON either.
    client.cookies.clear()
    key = actors.headers("grantee")
    r = await client.post(url, content=body, headers={**key, "content-type": "text/plain"})
    assert r.status_code == 415
    r = await client.post(url, content=body, headers=key)  # no content type at all
    assert r.status_code == 415
    assert await conn.fetchval("SELECT count(*) FROM invitations WHERE wave_id = $1", wave) == 0
    # Nor can a form sign the browser in to someone else's account.
    login = b'{"email": "grantee@example.org", "password": "correct horse battery"}'
    r = await client.post(
        "/api/v1/session", content=login,
        headers={"origin": FOREIGN, "content-type": "text/plain"},
    )
    assert r.status_code == 415 and "set-cookie" not in r.headers


async def test_same_origin_cookie_and_api_key_still_write(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, wave, site = await _open_wave(client, actors)
    await _signed_in_grantee(client, conn)
    r = await client.post(
        f"/api/v1/programs/{pid}/waves/{wave}/invitations",
        json={"site_id": site, "count": 2}, headers={"origin": OWN},
    )
    assert r.status_code == 201, r.text
    # Without Origin, a browser's Sec-Fetch-Site or Referer still shows the origin.
    r = await client.post(
        f"/api/v1/programs/{pid}/waves/{wave}/invitations",
        json={"site_id": site, "count": 1}, headers={"sec-fetch-site": "same-origin"},
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/programs/{pid}/waves/{wave}/close", headers={"referer": f"{OWN}/dashboard"}
    )
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert await conn.fetchval("SELECT count(*) FROM invitations WHERE wave_id = $1", wave) == 3
    # An API key needs no origin: no browser sends one on its own.
    client.cookies.clear()
    r = await client.post(
        f"/api/v1/programs/{pid}/sites", json={"name": "South"}, headers=actors.headers("grantee")
    )
    assert r.status_code == 201, r.text
    # Reads with the cookie need nothing more.
    await _signed_in_grantee(client, conn)
    assert (await client.get(f"/api/v1/programs/{pid}/waves/{wave}")).status_code == 200
