"""Changing a wave's sites and schedule: refusals that name the site or field, never a
database constraint, and nothing residents were handed out is lost."""

from __future__ import annotations

from typing import Any

from survey.db import Conn
from tests.test_api_waves import _wave


async def test_site_changes_are_refused_by_name_not_by_constraint(
    client: Any, actors: Any, conn: Conn
) -> None:
    """Dropping a site that has responses, or naming another program's site, used to
    answer with the foreign key's name (``program_id_wave_id_site_id``)."""
    pid = actors.programs["own"]
    h = actors.headers("grantee")
    ids = []
    for name in ("Spokane County", "King County"):
        r = await client.post(f"/api/v1/programs/{pid}/sites", json={"name": name}, headers=h)
        ids.append(r.json()["id"])
    wave = await _wave(client, actors, pid, ids)
    launched = (
        await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/launch", headers=h)
    ).json()["wave"]
    await conn.execute(
        """INSERT INTO responses
               (program_id, wave_id, site_id, language, channel, questionnaire_hash)
           VALUES ($1, $2, $3, 'en', 'web', $4)""",
        pid, wave["id"], ids[0], launched["questionnaire_hash"],
    )
    url = f"/api/v1/programs/{pid}/waves/{wave['id']}"
    r = await client.patch(url, json={"sites": [{"site_id": ids[1]}]}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["extra"] == [{
        "field": "sites",
        "reason": "Spokane County has responses in this wave and cannot be removed",
    }]
    assert await conn.fetchval(
        "SELECT count(*) FROM wave_sites WHERE wave_id = $1", wave["id"]
    ) == 2
    # King County has no responses: it may go.
    r = await client.patch(url, json={"sites": [{"site_id": ids[0]}]}, headers=h)
    assert r.status_code == 200 and [s["site_id"] for s in r.json()["sites"]] == [ids[0]]

    other = actors.programs["other"]
    r = await client.post(
        f"/api/v1/programs/{other}/sites", json={"name": "Yakima"},
        headers=actors.headers("other_grantee"),
    )
    foreign = r.json()["id"]
    body = {"name": "Follow-up", "phase": "post", "questionnaire_id": "community-trust",
            "languages": ["en"], "sites": [{"site_id": foreign}]}
    r = await client.post(f"/api/v1/programs/{pid}/waves", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["extra"] == [
        {"field": "sites", "reason": f"site {foreign} is not a site of this program"}
    ]
    r = await client.patch(url, json={"sites": [{"site_id": foreign}]}, headers=h)
    assert r.status_code == 422 and "sites_program_id" not in r.text
    assert [p["reason"] for p in r.json()["extra"]] == [
        f"site {foreign} is not a site of this program",
        "Spokane County has responses in this wave and cannot be removed",
    ]


async def test_a_site_with_links_handed_out_stays_and_closing_is_not_backdated(
    client: Any, actors: Any, conn: Conn
) -> None:
    """Dropping a site deleted its open link and invitations (cascade), so printed QR
    codes stopped working unsaid; a past closes_at left an open wave unanswerable."""
    pid = actors.programs["own"]
    h = actors.headers("grantee")
    ids = []
    for name in ("Spokane County", "King County"):
        r = await client.post(f"/api/v1/programs/{pid}/sites", json={"name": name}, headers=h)
        ids.append(r.json()["id"])
    wave = await _wave(client, actors, pid, ids)
    r = await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/launch", headers=h)
    assert r.status_code == 200, r.text
    url = f"/api/v1/programs/{pid}/waves/{wave['id']}"
    link = await client.post(f"{url}/sites/{ids[1]}/open-link", headers=h)
    assert link.status_code in (200, 201), link.text
    code = await conn.fetchval("SELECT code FROM open_links WHERE site_id = $1", ids[1])
    r = await client.patch(url, json={"sites": [{"site_id": ids[0]}]}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["extra"] == [{
        "field": "sites",
        "reason": "King County has links issued in this wave (an open link or invitations) "
        "and cannot be removed: QR codes, flyers and letters already handed out would "
        "stop working",
    }]
    assert await conn.fetchval("SELECT code FROM open_links WHERE site_id = $1", ids[1]) == code
    # Spokane has nothing handed out: it may go.
    r = await client.patch(url, json={"sites": [{"site_id": ids[1]}]}, headers=h)
    assert r.status_code == 200, r.text

    r = await client.patch(url, json={"closes_at": "2020-01-01T00:00:00Z"}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["extra"] == [{
        "field": "closes_at",
        "reason": "must be in the future: to end fieldwork now, close the wave",
    }]
    r = await client.patch(url, json={"closes_at": "2099-01-01T00:00:00Z"}, headers=h)
    assert r.status_code == 200, r.text
