"""Waves, contacts and invitations through the HTTP API, checked in the database."""

from __future__ import annotations

import hashlib
from typing import Any

from survey.db import Conn


async def _program_with_sites(client: Any, actors: Any, n: int = 2) -> tuple[int, list[int]]:
    pid = actors.programs["own"]
    h = actors.headers("grantee")
    sites = []
    for i in range(n):
        r = await client.post(
            f"/api/v1/programs/{pid}/sites", json={"name": f"Site {i}"}, headers=h
        )
        assert r.status_code == 201, r.text
        sites.append(r.json()["id"])
    return pid, sites


async def _wave(
    client: Any, actors: Any, pid: int, sites: list[int], **extra: Any
) -> dict[str, Any]:
    body = {
        "name": "Baseline",
        "phase": "pre",
        "questionnaire_id": "community-trust",
        "languages": ["en"],
        "sites": [{"site_id": s, "target_n": 300} for s in sites],
        **extra,
    }
    r = await client.post(
        f"/api/v1/programs/{pid}/waves", json=body, headers=actors.headers("grantee")
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_wave_lifecycle_freezes_questionnaire(client: Any, actors: Any, conn: Conn) -> None:
    pid, sites = await _program_with_sites(client, actors)
    wave = await _wave(client, actors, pid, sites)
    assert wave["state"] == "draft" and wave["questionnaire_hash"] is None
    assert [s["target_n"] for s in wave["sites"]] == [300, 300]
    h = actors.headers("grantee")
    r = await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/launch", headers=h)
    assert r.status_code == 200, r.text
    launched = r.json()["wave"]
    assert launched["state"] == "open" and len(launched["questionnaire_hash"]) == 64
    stored = await conn.fetchrow(
        "SELECT questionnaire_id, definition FROM questionnaire_versions WHERE content_hash = $1",
        launched["questionnaire_hash"],
    )
    assert stored["questionnaire_id"] == "community-trust"
    assert stored["definition"]["id"] == "community-trust"
    # Launching twice is refused; languages are frozen once open.
    r = await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/launch", headers=h)
    assert r.status_code == 409
    r = await client.patch(
        f"/api/v1/programs/{pid}/waves/{wave['id']}", json={"languages": ["en", "es"]}, headers=h
    )
    assert r.status_code == 409
    r = await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/close", headers=h)
    assert r.json()["state"] == "closed"


async def test_questionnaire_cannot_change_after_first_response(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, sites = await _program_with_sites(client, actors, 1)
    wave = await _wave(client, actors, pid, sites)
    h = actors.headers("grantee")
    launched = (
        await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/launch", headers=h)
    ).json()
    # Before any response the questionnaire may still be swapped (and is re-frozen).
    r = await client.patch(
        f"/api/v1/programs/{pid}/waves/{wave['id']}", json={"questionnaire_id": "pulse"}, headers=h
    )
    assert r.status_code == 200, r.text
    new_hash = r.json()["questionnaire_hash"]
    assert new_hash != launched["wave"]["questionnaire_hash"]
    await conn.execute(
        """INSERT INTO responses
               (program_id, wave_id, site_id, language, channel, questionnaire_hash)
           VALUES ($1, $2, $3, 'en', 'web', $4)""",
        pid,
        wave["id"],
        sites[0],
        new_hash,
    )
    r = await client.patch(
        f"/api/v1/programs/{pid}/waves/{wave['id']}",
        json={"questionnaire_id": "community-trust"},
        headers=h,
    )
    assert r.status_code == 409
    # The database refuses it too, whoever asks.
    import asyncpg

    try:
        await conn.execute(
            "UPDATE waves SET questionnaire_id = 'community-trust'"
            " WHERE program_id = $1 AND id = $2",
            pid,
            wave["id"],
        )
        raise AssertionError("the trigger let the questionnaire change")
    except asyncpg.CheckViolationError:
        pass


async def test_wave_validation_reports_every_field(client: Any, actors: Any, conn: Conn) -> None:
    pid, _ = await _program_with_sites(client, actors, 1)
    r = await client.post(
        f"/api/v1/programs/{pid}/waves",
        json={
            "name": "W",
            "phase": "pre",
            "questionnaire_id": "nope",
            "languages": ["en", "xx"],
            "default_language": "es",
            "opens_at": "2026-05-01T00:00:00Z",
            "closes_at": "2026-04-01T00:00:00Z",
        },
        headers=actors.headers("grantee"),
    )
    assert r.status_code == 422
    fields = {p["field"] for p in r.json()["extra"]}
    assert fields == {"questionnaire_id", "languages", "default_language", "closes_at"}
    assert await conn.fetchval("SELECT count(*) FROM waves") == 0


async def test_launch_gate_blocks_unreviewed_language_unless_overridden(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, sites = await _program_with_sites(client, actors, 1)
    wave = await _wave(client, actors, pid, sites, languages=["en", "so"])
    h = actors.headers("grantee")
    r = await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/launch", headers=h)
    assert r.status_code == 422, r.text
    assert {p["field"] for p in r.json()["extra"]} == {"languages.so"}
    assert (await conn.fetchval("SELECT state FROM waves WHERE id = $1", wave["id"])) == "draft"
    r = await client.post(
        f"/api/v1/programs/{pid}/waves/{wave['id']}/launch",
        json={"override_languages": ["so"], "reason": "community reviewer on site"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert list(r.json()["overridden"]) == ["so"]
    detail = await conn.fetchval(
        "SELECT detail FROM audit_log WHERE action = 'wave.launch_override'"
    )
    assert detail["languages"] == ["so"] and detail["reason"] == "community reviewer on site"
    assert await conn.fetchval("SELECT allow_unreviewed FROM waves WHERE id = $1", wave["id"])


CSV_OK = (
    "phone,language,panel_id,site\n"
    "(206) 555-0100,es,P-1,Site 0\n"
    "+1 509 555 0101,zh-TW,,Site 1\n"
    "2065550102,,P-3,\n"
)


async def test_contact_upload_normalizes_and_keeps_pii_apart(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, sites = await _program_with_sites(client, actors)
    h = {**actors.headers("grantee"), "content-type": "text/csv"}
    r = await client.post(f"/api/v1/programs/{pid}/contacts", content=CSV_OK, headers=h)
    assert r.status_code == 200, r.text
    # The row with a blank site is named: nobody can invite it until it has one.
    assert r.json() == {"imported": 3, "updated": 0, "rejected": 0, "errors": [], "warnings": [
        {"row": 4, "column": "site",
         "reason": "no site: this contact will not be invited until it has one"}],
        "without_site": 1}
    rows = await conn.fetch(
        "SELECT phone_e164, preferred_language, site_id, panel_code, panel_member_id "
        "FROM contacts ORDER BY phone_e164"
    )
    assert [
        (r["phone_e164"], r["preferred_language"], r["site_id"], r["panel_code"]) for r in rows
    ] == [
        ("+12065550100", "es", sites[0], "P-1"),
        ("+12065550102", "en", None, "P-3"),
        ("+15095550101", "zh_Hant", sites[1], None),
    ]
    assert rows[0]["panel_member_id"] is not None and rows[2]["panel_member_id"] is None
    pseudonyms = await conn.fetch("SELECT pseudonym FROM panel_members")
    assert len(pseudonyms) == 2 and all("P-" not in p["pseudonym"] for p in pseudonyms)
    # Uploading again updates, never duplicates.
    r = await client.post(f"/api/v1/programs/{pid}/contacts", content=CSV_OK, headers=h)
    assert r.json()["updated"] == 3 and await conn.fetchval("SELECT count(*) FROM contacts") == 3


async def test_contact_upload_reports_rows_and_imports_nothing(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, _ = await _program_with_sites(client, actors)
    bad = (
        "phone,language,site\n"
        "2065550100,es,Site 0\n"
        "12345,es,Site 0\n"
        "2065550101,klingon,Nowhere\n"
        "2065550100,en,\n"
    )
    h = {**actors.headers("grantee"), "content-type": "text/csv"}
    r = await client.post(f"/api/v1/programs/{pid}/contacts", content=bad, headers=h)
    assert r.status_code == 422
    from survey.i18n import SUPPORTED_LOCALES

    assert r.json()["extra"] == [
        {"field": "phone", "reason": "is not a valid phone number", "row": 3},
        {"field": "language", "row": 4, "reason": "'klingon' is not a supported language; "
         "write a code, English name or native name of one of: "
         + ", ".join(SUPPORTED_LOCALES)},
        {"field": "site", "reason": "no site named 'Nowhere'", "row": 4},
        {"field": "phone", "reason": "repeats row 2", "row": 5},
    ]
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0
    r = await client.post(f"/api/v1/programs/{pid}/contacts?partial=true", content=bad, headers=h)
    assert r.status_code == 200
    assert (r.json()["imported"], r.json()["rejected"]) == (1, 3)


async def test_evaluator_cannot_read_contacts(client: Any, actors: Any) -> None:
    pid = actors.programs["own"]
    r = await client.get(f"/api/v1/programs/{pid}/contacts", headers=actors.headers("evaluator"))
    assert r.status_code == 403


async def test_invitations_store_only_hashes(client: Any, actors: Any, conn: Conn) -> None:
    pid, sites = await _program_with_sites(client, actors, 1)
    wave = await _wave(client, actors, pid, sites)
    h = actors.headers("grantee")
    r = await client.post(
        f"/api/v1/programs/{pid}/waves/{wave['id']}/invitations",
        json={"site_id": sites[0], "count": 25},
        headers=h,
    )
    assert r.status_code == 201, r.text
    issued = r.json()["invitations"]
    assert len(issued) == 25 and len({i["token"] for i in issued}) == 25
    token = issued[0]["token"]
    prefix, secret = token.split("-", 1)
    assert prefix == str(pid) and len(secret) >= 22  # 16 random bytes, base64url
    assert issued[0]["url"] == f"http://testserver.local/s/{token}"
    stored = await conn.fetchval(
        "SELECT count(*) FROM invitations WHERE token_hash = $1",
        hashlib.sha256(token.encode()).digest(),
    )
    assert stored == 1
    dump = await conn.fetchval(
        "SELECT string_agg(encode(token_hash, 'escape'), '') FROM invitations"
    )
    assert secret not in dump
    summary = (
        await client.get(f"/api/v1/programs/{pid}/waves/{wave['id']}/invitations", headers=h)
    ).json()
    assert summary == [
        {"site_id": sites[0], "channel": "web", "issued": 25, "sent": 0, "completed": 0,
         "suppressed": False}
    ]


async def test_invitations_for_contacts_skip_opted_out(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, sites = await _program_with_sites(client, actors, 2)
    csv_text = "phone,site\n2065550100,Site 0\n2065550101,Site 0\n2065550102,Site 1\n"
    h = actors.headers("grantee")
    await client.post(
        f"/api/v1/programs/{pid}/contacts",
        content=csv_text,
        headers={**h, "content-type": "text/csv"},
    )
    await conn.execute("UPDATE contacts SET opted_out_at = now() WHERE phone_e164 = '+12065550101'")
    wave = await _wave(client, actors, pid, sites, channels=["web", "sms"])
    url = f"/api/v1/programs/{pid}/waves/{wave['id']}/invitations"
    r = await client.post(
        url, json={"site_id": sites[0], "channel": "sms", "for_contacts": True}, headers=h
    )
    assert r.json()["created"] == 1
    again = await client.post(
        url, json={"site_id": sites[0], "channel": "sms", "for_contacts": True}, headers=h
    )
    assert again.json()["created"] == 0
    r = await client.post(
        url, json={"site_id": sites[0], "count": 3}, headers={**h, "accept": "text/csv"}
    )
    assert r.headers["content-type"].startswith("text/csv")
    assert (
        r.text.splitlines()[0] == "invitation_id,contact_id,url" and len(r.text.splitlines()) == 4
    )


async def test_open_link_qr_and_flyer(client: Any, actors: Any, conn: Conn) -> None:
    pid, sites = await _program_with_sites(client, actors, 1)
    wave = await _wave(client, actors, pid, sites, languages=["en", "es"])
    h = actors.headers("grantee")
    base = f"/api/v1/programs/{pid}/waves/{wave['id']}/sites/{sites[0]}"
    # Looking makes nothing: no link until someone who runs the wave asks for one.
    for path in ("open-link", "qr.svg", "qr.png", "flyer"):
        assert (await client.get(f"{base}/{path}", headers=h)).status_code == 404, path
    assert await conn.fetchval("SELECT count(*) FROM open_links") == 0
    made = await client.post(f"{base}/open-link", headers=h)
    assert made.status_code == 201, made.text
    again = await client.post(f"{base}/open-link", headers=h)
    assert again.status_code == 200 and again.json() == made.json()
    first = made.json()
    second = (await client.get(f"{base}/open-link", headers=h)).json()
    assert first["code"] == second["code"] and len(first["code"]) == 8
    assert await conn.fetchval("SELECT count(*) FROM open_links") == 1
    assert await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'open_link.create'"
    ) == 1
    assert first["url"] == f"http://testserver.local/o/{pid}-{first['code']}"
    assert len(first["url"].split("://")[1]) <= 40
    svg = await client.get(f"{base}/qr.svg", headers=h)
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    png = await client.get(f"{base}/qr.png", headers=h)
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    flyer = await client.get(f"{base}/flyer?lang=es", headers=h)
    assert flyer.status_code == 200
    assert '<html lang="es"' in flyer.text and first["url"].split("://")[1] in flyer.text
    for unoffered in ("ko", "zz"):  # not the English flyer under another name
        refused = await client.get(f"{base}/flyer?lang={unoffered}", headers=h)
        assert refused.status_code == 422 and refused.json()["extra"][0]["field"] == "lang"
    other = await client.get(f"{base}/open-link", headers=actors.headers("other_grantee"))
    assert other.status_code == 404


async def test_evaluators_neither_make_nor_get_open_links(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, sites = await _program_with_sites(client, actors, 2)
    wave = await _wave(client, actors, pid, sites)  # a draft, as in the review
    h = actors.headers("evaluator")
    made = f"/api/v1/programs/{pid}/waves/{wave['id']}/sites/{sites[0]}"
    fresh = f"/api/v1/programs/{pid}/waves/{wave['id']}/sites/{sites[1]}"
    assert (await client.post(f"{made}/open-link", headers=actors.headers("grantee"))).is_success
    for base in (made, fresh):
        for path in ("open-link", "qr.svg", "qr.png", "flyer?lang=en"):
            r = await client.get(f"{base}/{path}", headers=h)
            assert r.status_code == 403, (base, path, r.text)
        assert (await client.post(f"{base}/open-link", headers=h)).status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM open_links") == 1


async def test_wave_allowing_unreviewed_drafts_launches_and_is_recorded(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, sites = await _program_with_sites(client, actors, 1)
    wave = await _wave(
        client,
        actors,
        pid,
        sites,
        questionnaire_id="pulse",
        languages=["en", "es"],
        allow_unreviewed=True,
    )
    h = actors.headers("grantee")
    r = await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/launch", headers=h)
    assert r.status_code == 200, r.text
    detail = await conn.fetchval(
        "SELECT detail FROM audit_log WHERE action = 'wave.launch_override'"
    )
    assert detail["languages"] == ["es"]
    assert detail["reason"] == "wave allows unreviewed translations"


async def test_contact_upload_that_is_not_utf8_is_refused(client: Any, actors: Any) -> None:
    pid = actors.programs["own"]
    h = {**actors.headers("grantee"), "content-type": "text/csv"}
    r = await client.post(
        f"/api/v1/programs/{pid}/contacts", content="phone\n\xe9\n".encode("latin-1"), headers=h
    )
    assert r.status_code == 422
    assert r.json()["extra"] == [
        {"field": "file", "reason": "is not UTF-8 text; save the sheet as CSV UTF-8"}
    ]


async def test_a_wave_past_its_closing_time_reads_closed(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, sites = await _program_with_sites(client, actors, 1)
    wave = await _wave(client, actors, pid, sites)
    h = actors.headers("grantee")
    r = await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/launch", headers=h)
    assert r.status_code == 200, r.text
    # Its last day has gone by (02:00Z: midnight after 24 November in Noronha).
    await conn.execute(
        "UPDATE waves SET closes_at = '2025-11-25T02:00:00Z' WHERE id = $1", wave["id"]
    )
    got = (await client.get(f"/api/v1/programs/{pid}/waves/{wave['id']}", headers=h)).json()
    assert got["state"] == "closed"
    assert got["closed_at"] == "2025-11-25T02:00:00Z"
    listed = (await client.get(f"/api/v1/programs/{pid}/waves", headers=h)).json()
    assert [(w["id"], w["state"]) for w in listed] == [(wave["id"], "closed")]
    # Only what is shown: the stored state still drives the transitions.
    assert await conn.fetchval("SELECT state FROM waves WHERE id = $1", wave["id"]) == "open"


async def test_a_wave_closed_by_hand_early_keeps_its_closing_time(
    client: Any, actors: Any, conn: Conn
) -> None:
    pid, sites = await _program_with_sites(client, actors, 1)
    wave = await _wave(client, actors, pid, sites, closes_at="2099-12-10T08:00:00Z")
    h = actors.headers("grantee")
    await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/launch", headers=h)
    closed = await client.post(f"/api/v1/programs/{pid}/waves/{wave['id']}/close", headers=h)
    stored = await conn.fetchval("SELECT closed_at FROM waves WHERE id = $1", wave["id"])
    assert closed.json()["state"] == "closed"
    got = (await client.get(f"/api/v1/programs/{pid}/waves/{wave['id']}", headers=h)).json()
    assert got["closed_at"].startswith(stored.strftime("%Y-%m-%dT%H:%M:%S"))
