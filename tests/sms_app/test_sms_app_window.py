"""The SMS sending window (quiet_start-quiet_end: when texts may be SENT) is checked
where it is set: an empty or overnight window is a 422 naming the field, never
stored and then silently replaced by 09:00-20:00 when sending."""

from __future__ import annotations

from typing import Any

import pytest

from survey.db import Conn

from .conftest import make_world


@pytest.mark.parametrize(
    "body",
    [{"quiet_start": "20:00", "quiet_end": "09:00"},  # quiet hours typed in
     {"quiet_start": "10:00", "quiet_end": "10:00"},  # empty
     {"quiet_start": "21:00"},  # after the stored end (20:00)
     {"quiet_end": "08:00"}],  # before the stored start (09:00)
)
async def test_patch_refuses_an_empty_or_overnight_window(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str], body: dict[str, str]
) -> None:
    w = await make_world(conn, resources)
    r = await client.patch(f"/api/v1/programs/{w.program_id}", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert "quiet_end" in r.text and "quiet_start must be before quiet_end" in r.text
    stored = await conn.fetchrow("SELECT quiet_start::text, quiet_end::text FROM programs")
    assert tuple(stored) == ("09:00:00", "20:00:00")


async def test_a_valid_window_is_saved_and_create_checks_too(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources)
    r = await client.patch(f"/api/v1/programs/{w.program_id}",
                           json={"quiet_start": "08:30", "quiet_end": "21:00"}, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["quiet_start"], r.json()["quiet_end"]) == ("08:30", "21:00")
    r = await client.patch(f"/api/v1/programs/{w.program_id}", json={"quiet_end": "08:45"},
                           headers=admin)
    assert r.status_code == 200, r.text
    r = await client.post("/api/v1/programs", headers=admin, json={
        "slug": "night", "name": "Night", "quiet_start": "20:00", "quiet_end": "09:00"})
    assert r.status_code == 422, r.text
    assert await conn.fetchval("SELECT count(*) FROM programs WHERE slug = 'night'") == 0


async def test_the_api_schema_says_the_window_is_when_texts_are_sent(client: Any) -> None:
    r = await client.get("/api/schema/openapi.json")
    assert r.status_code == 200
    schema = r.json()["components"]["schemas"]
    described = [s["properties"]["quiet_start"] for s in schema.values()
                 if "quiet_start" in s.get("properties", {})]
    assert described
    for prop in described:
        text = str(prop)
        assert "SENT between quiet_start and quiet_end" in text and "Must be before" in text
