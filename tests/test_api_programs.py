"""Programs, sites, users and keys through the HTTP API."""

from __future__ import annotations

from typing import Any

from survey.db import Conn


async def test_admin_creates_program_and_sites(client: Any, actors: Any, conn: Conn) -> None:
    h = actors.headers("admin")
    r = await client.post(
        "/api/v1/programs", json={"slug": "yakima", "name": "Yakima CLEP"}, headers=h
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["quiet_start"] == "09:00"
    r = await client.post(
        f"/api/v1/programs/{pid}/sites",
        json={"name": "Yakima County", "timezone": "America/Los_Angeles", "comparison": True},
        headers=h,
    )
    assert r.status_code == 201, r.text
    site = r.json()
    assert site["comparison"] is True and site["program_id"] == pid
    r = await client.get(f"/api/v1/programs/{pid}/sites", headers=h)
    assert [s["name"] for s in r.json()] == ["Yakima County"]
    row = await conn.fetchrow("SELECT action, target FROM audit_log WHERE action = 'site.create'")
    assert row["target"] == str(site["id"])


async def test_bad_input_names_field_and_reason(client: Any, actors: Any, conn: Conn) -> None:
    h = actors.headers("admin")
    r = await client.post("/api/v1/programs", json={"slug": "Bad Slug!", "name": "x"}, headers=h)
    assert r.status_code == 400
    assert "slug" in r.text
    pid = actors.programs["own"]
    r = await client.post(
        f"/api/v1/programs/{pid}/sites", json={"name": "X", "timezone": "Mars/Olympus"}, headers=h
    )
    assert r.status_code == 422
    assert r.json()["extra"] == [
        {"field": "timezone", "reason": "'Mars/Olympus' is not an IANA time zone"}
    ]
    assert await conn.fetchval("SELECT count(*) FROM sites") == 0


async def test_duplicate_slug_is_a_conflict(client: Any, actors: Any) -> None:
    h = actors.headers("admin")
    r = await client.post(
        "/api/v1/programs", json={"slug": "own-program", "name": "again"}, headers=h
    )
    assert r.status_code == 409
    assert r.json()["detail"] == "slug already exists"


async def test_duplicate_site_name_is_a_conflict_in_words(client: Any, actors: Any) -> None:
    h = actors.headers("admin")
    url = f"/api/v1/programs/{actors.programs['own']}/sites"
    assert (await client.post(url, json={"name": "Tacoma"}, headers=h)).status_code == 201
    r = await client.post(url, json={"name": "Tacoma"}, headers=h)
    assert r.status_code == 409
    assert r.json()["detail"] == "A site with this name already exists in the program"


async def test_grantee_sees_only_own_program(client: Any, actors: Any) -> None:
    r = await client.get("/api/v1/programs", headers=actors.headers("grantee"))
    assert [p["slug"] for p in r.json()] == ["own-program"]
    other = actors.programs["other"]
    r = await client.get(f"/api/v1/programs/{other}", headers=actors.headers("grantee"))
    assert r.status_code == 404
    assert r.json()["detail"] == "program not found"


async def test_missing_and_bad_credentials(client: Any, actors: Any) -> None:
    assert (await client.get("/api/v1/programs")).status_code == 401
    r = await client.get("/api/v1/programs", headers={"Authorization": "Bearer sk_nope"})
    assert r.status_code == 401


async def test_keys_are_hashed_shown_once_and_revocable(
    client: Any, actors: Any, conn: Conn
) -> None:
    h = actors.headers("grantee")
    r = await client.post("/api/v1/keys", json={"name": "laptop"}, headers=h)
    assert r.status_code == 201
    key = r.json()["key"]
    stored = await conn.fetchval(
        "SELECT count(*) FROM api_keys WHERE key_hash = sha256($1::text::bytea)", key
    )
    assert stored == 1
    assert (
        await conn.fetchval("SELECT count(*) FROM api_keys WHERE prefix = $1", key.split("_")[1])
        == 1
    )
    listed = (await client.get("/api/v1/keys", headers=h)).json()
    assert "key" not in listed[0] and {k["name"] for k in listed} == {"test", "laptop"}
    new_h = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/api/v1/me", headers=new_h)).json()["role"] == "grantee"
    kid = r.json()["info"]["id"]
    assert (await client.delete(f"/api/v1/keys/{kid}", headers=h)).json()["revoked"] is True
    assert (await client.get("/api/v1/me", headers=new_h)).status_code == 401
    # Someone else's key is not found, not forbidden.
    r = await client.delete(f"/api/v1/keys/{kid}", headers=actors.headers("other_grantee"))
    assert r.status_code == 404


async def test_password_login_sets_session_cookie(client: Any, actors: Any, conn: Conn) -> None:
    r = await client.post(
        "/api/v1/session", json={"email": "evaluator@example.org", "password": "wrong password!"}
    )
    assert r.status_code == 401
    r = await client.post(
        "/api/v1/session",
        json={"email": "Evaluator@example.org", "password": "correct horse battery"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "evaluator"
    assert "httponly" in r.headers["set-cookie"].lower()
    assert (await client.get("/api/v1/me")).json()["email"] == "evaluator@example.org"
    stored = await conn.fetchval(
        "SELECT password_hash FROM users WHERE email = 'evaluator@example.org'"
    )
    assert stored.startswith("$argon2")
    # A cookie-signed write must show it comes from our own pages.
    assert (await client.delete("/api/v1/session")).status_code == 403
    assert (await client.get("/api/v1/me")).status_code == 200
    await client.delete("/api/v1/session", headers={"origin": "http://testserver.local"})
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_health_and_readiness(client: Any) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}
    assert r.headers["x-content-type-options"] == "nosniff"
    assert len(r.headers["x-request-id"]) == 16


async def test_openapi_is_served(client: Any) -> None:
    r = await client.get("/api/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/programs/{program_id}/waves/{wave_id}/launch" in paths


async def test_access_log_names_route_template_not_path(
    client: Any, actors: Any, caplog: Any
) -> None:
    import logging

    pid = actors.programs["own"]
    with caplog.at_level(logging.INFO, logger="survey.access"):
        await client.get(f"/api/v1/programs/{pid}", headers=actors.headers("grantee"))
    records = [r for r in caplog.records if r.name == "survey.access"]
    assert records and records[-1].route == "/api/v1/programs/{program_id}"
    assert records[-1].status == 200 and records[-1].method == "GET"
    assert actors.keys["grantee"] not in caplog.text


async def test_security_headers_on_api_and_pages(client: Any) -> None:
    for path in ("/healthz", "/s/1-unknown-token-value", "/api/v1/programs"):
        r = await client.get(path, headers={"Accept": "text/html"})
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "no-referrer", path
