"""A name of spaces only is refused with the field named, and a padded one stored
trimmed: a blank name became a link with no words and an empty heading."""

from __future__ import annotations

from typing import Any

from survey.db import Conn

BLANK = {
    "field": "name",
    "reason": "must not be blank",
    "code": "blank_name",
}


async def test_blank_wave_site_and_program_names_refused(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid = actors.programs["own"]
    h = actors.headers("grantee")
    wave = {"phase": "pre", "questionnaire_id": "pulse"}
    r = await client.post(f"/api/v1/programs/{pid}/waves", json={**wave, "name": "   "}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["extra"] == [BLANK]
    assert await conn.fetchval("SELECT count(*) FROM waves WHERE program_id = $1", pid) == 0

    r = await client.post(
        f"/api/v1/programs/{pid}/waves", json={**wave, "name": "  Spring \t"}, headers=h
    )
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    assert await conn.fetchval("SELECT name FROM waves WHERE id = $1", wid) == "Spring"
    r = await client.patch(f"/api/v1/programs/{pid}/waves/{wid}", json={"name": "\u00a0 "},
                           headers=h)
    assert r.status_code == 422 and r.json()["extra"] == [BLANK], r.text
    assert await conn.fetchval("SELECT name FROM waves WHERE id = $1", wid) == "Spring"

    r = await client.post(f"/api/v1/programs/{pid}/sites", json={"name": "  "}, headers=h)
    assert r.status_code == 422 and r.json()["extra"] == [BLANK], r.text
    r = await client.post(f"/api/v1/programs/{pid}/sites", json={"name": " King "}, headers=h)
    assert r.status_code == 201 and r.json()["name"] == "King", r.text
    r = await client.patch(
        f"/api/v1/programs/{pid}/sites/{r.json()['id']}", json={"name": " "}, headers=h
    )
    assert r.status_code == 422 and r.json()["extra"] == [BLANK], r.text

    admin = actors.headers("admin")
    r = await client.post("/api/v1/programs", json={"slug": "blank", "name": " "}, headers=admin)
    assert r.status_code == 422 and r.json()["extra"] == [BLANK], r.text
    r = await client.patch(f"/api/v1/programs/{pid}", json={"name": "  "}, headers=admin)
    assert r.status_code == 422 and r.json()["extra"] == [BLANK], r.text
    assert await conn.fetchval("SELECT name FROM programs WHERE id = $1", pid) == "own"
